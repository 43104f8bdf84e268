// container/layer_reference.cpp: predictions from a reference layer, and the writer's choice.
#include "container/layer_reference.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/dtype_dispatch.hpp"

namespace medmask::container {

namespace {

// map(v) for a reference value v; 0 when the map has no entry for it.
class ValueMap {
 public:
  explicit ValueMap(const LayerReference& ref) : pairs_(ref.map) {
    std::sort(pairs_.begin(), pairs_.end());
  }
  std::uint32_t operator()(std::uint32_t v) const {
    if (v == 0) return 0;
    const auto it = std::lower_bound(pairs_.begin(), pairs_.end(), std::pair{v, 0u});
    return it != pairs_.end() && it->first == v ? it->second : 0;
  }

 private:
  std::vector<std::pair<std::uint32_t, std::uint32_t>> pairs_;
};

}  // namespace

LabelVolume predict_unit(const Slab& reference, const LayerReference& ref, DType dtype,
                         const UnitBox& unit) {
  LabelVolume out(dtype, unit.shape_zyx);
  const ValueMap map(ref);
  const Shape3& so = reference.origin_zyx;
  const Shape3& sn = reference.volume.shape_zyx();
  const Shape3& uo = unit.origin_zyx;
  const Shape3& un = unit.shape_zyx;
  Shape3 lo{}, hi{};  // the grid box both cover
  for (std::size_t a = 0; a < 3; ++a) {
    lo[a] = std::max(so[a], uo[a]);
    hi[a] = std::min(so[a] + sn[a], uo[a] + un[a]);
    if (lo[a] >= hi[a]) return out;
  }
  detail::visit_dtype(reference.volume.dtype(), [&](auto from_tag) {
    using R = decltype(from_tag);
    detail::visit_dtype(dtype, [&](auto to_tag) {
      using T = decltype(to_tag);
      const R* from = reference.volume.data_as<R>();
      T* to = out.data_as<T>();
      for (std::int64_t z = lo[0]; z < hi[0]; ++z) {
        for (std::int64_t y = lo[1]; y < hi[1]; ++y) {
          // Offsets from the first column both cover (no pointer before an array's start).
          const R* in = from + ((z - so[0]) * sn[1] + (y - so[1])) * sn[2] + (lo[2] - so[2]);
          T* row = to + ((z - uo[0]) * un[1] + (y - uo[1])) * un[2] + (lo[2] - uo[2]);
          for (std::int64_t i = 0; i < hi[2] - lo[2]; ++i) {
            if (in[i] != R{0}) row[i] = static_cast<T>(map(in[i]));
          }
        }
      }
    });
  });
  return out;
}

LabelVolume predict_volume(const LabelVolume& reference, const LayerReference& ref, DType dtype) {
  return predict_unit(Slab{reference, {0, 0, 0}}, ref, dtype,
                      UnitBox{{0, 0, 0}, reference.shape_zyx()});
}

std::optional<LayerReference> choose_reference(const LabelVolume& layer,
                                               const std::vector<ReferenceCandidate>& candidates,
                                               std::uint64_t min_voxels) {
  std::optional<LayerReference> best;
  std::uint64_t best_score = 0;
  for (const ReferenceCandidate& candidate : candidates) {
    if (candidate.volume->shape_zyx() != layer.shape_zyx()) continue;
    // How often each (reference value, layer value) pair meets where both are labelled, and how
    // many voxels hold each reference value: a layer is mostly zeros, so only its labelled
    // voxels are counted in pairs, and the rest of a value's voxels meet 0.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> meets;
    std::unordered_map<std::uint32_t, std::uint64_t> totals;
    detail::visit_dtype(candidate.volume->dtype(), [&](auto from_tag) {
      using R = decltype(from_tag);
      detail::visit_dtype(layer.dtype(), [&](auto to_tag) {
        using T = decltype(to_tag);
        const R* from = candidate.volume->data_as<R>();
        const T* to = layer.data_as<T>();
        const std::size_t n = layer.size();
        std::unordered_map<std::uint64_t, std::uint64_t> pairs;
        R run_value = 0;  // labels come in runs along x: count a run at once
        std::uint64_t run_length = 0;
        for (std::size_t i = 0; i < n; ++i) {
          const R r = from[i];
          if (r == run_value) {
            ++run_length;
          } else {
            if (run_value != R{0}) totals[run_value] += run_length;
            run_value = r;
            run_length = 1;
          }
          if (r != R{0} && to[i] != T{0}) ++pairs[std::uint64_t{r} << 32 | to[i]];
        }
        if (run_value != R{0}) totals[run_value] += run_length;
        for (const auto& [key, count] : pairs) {
          meets[{static_cast<std::uint32_t>(key >> 32), static_cast<std::uint32_t>(key)}] = count;
        }
      });
    });
    // Each reference value goes to the layer value it meets most, unless that is 0.
    LayerReference ref{candidate.entry, {}};
    std::uint64_t score = 0;
    for (auto it = meets.begin(); it != meets.end();) {
      const std::uint32_t from = it->first.first;
      std::uint32_t to = 0;
      std::uint64_t labelled = 0;
      std::uint64_t most = 0;
      for (auto scan = it; scan != meets.end() && scan->first.first == from; ++scan) {
        labelled += scan->second;
      }
      most = totals[from] - labelled;  // the voxels of the value that meet 0
      for (; it != meets.end() && it->first.first == from; ++it) {
        if (it->second > most) {
          most = it->second;
          to = it->first.second;
        }
      }
      if (to != 0) {
        ref.map.emplace_back(from, to);
        score += most;
      }
    }
    if (score >= min_voxels && score > best_score) {
      best_score = score;
      best = std::move(ref);
    }
  }
  return best;
}

}  // namespace medmask::container
