// container/layer_reference.cpp: predictions from a reference layer, and the writer's choice.
#include "container/layer_reference.hpp"

#include <algorithm>
#include <array>
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

std::optional<LabelStats> labelled_box(const std::map<std::uint32_t, LabelStats>& stats,
                                       const Shape3& shape) {
  std::optional<LabelStats> box;
  for (const auto& [value, s] : stats) {
    if (s.voxels == 0) continue;
    if (!box) {
      box = s;
      continue;
    }
    box->voxels += s.voxels;
    for (std::size_t a = 0; a < 3; ++a) {
      box->bbox_min_zyx[a] = std::min(box->bbox_min_zyx[a], s.bbox_min_zyx[a]);
      box->bbox_max_zyx[a] = std::max(box->bbox_max_zyx[a], s.bbox_max_zyx[a]);
    }
  }
  for (std::size_t a = 0; a < 3 && box; ++a) {
    box->bbox_min_zyx[a] = std::max<std::int64_t>(box->bbox_min_zyx[a], 0);
    box->bbox_max_zyx[a] = std::min<std::int64_t>(box->bbox_max_zyx[a], shape[a] - 1);
    if (box->bbox_min_zyx[a] > box->bbox_max_zyx[a]) box.reset();
  }
  return box;
}

std::optional<LayerReference> choose_reference(
    const LabelVolume& layer, const std::map<std::uint32_t, LabelStats>& layer_stats,
    const std::vector<ReferenceCandidate>& candidates, std::uint64_t min_voxels) {
  // The layer is labelled only inside the union of its values' boxes: pairs are counted there,
  // and a reference value's voxel count comes from its stats, so each candidate costs the
  // layer's box rather than the grid (a layer per structure meets many candidates).
  const Shape3 shape = layer.shape_zyx();
  const std::optional<LabelStats> box = labelled_box(layer_stats, shape);
  if (!box) return std::nullopt;
  const std::array<std::int64_t, 3>& lo = box->bbox_min_zyx;
  const std::array<std::int64_t, 3>& hi = box->bbox_max_zyx;
  std::optional<LayerReference> best;
  std::uint64_t best_score = 0;
  for (const ReferenceCandidate& candidate : candidates) {
    if (candidate.volume->shape_zyx() != shape || candidate.stats == nullptr) continue;
    // How often each (reference value, layer value) pair meets where both are labelled; the
    // rest of a reference value's voxels meet 0.
    std::map<std::pair<std::uint32_t, std::uint32_t>, std::uint64_t> meets;
    std::unordered_map<std::uint32_t, std::uint64_t> totals;
    for (const auto& [value, s] : *candidate.stats) totals[value] = s.voxels;
    detail::visit_dtype(candidate.volume->dtype(), [&](auto from_tag) {
      using R = decltype(from_tag);
      detail::visit_dtype(layer.dtype(), [&](auto to_tag) {
        using T = decltype(to_tag);
        const R* from = candidate.volume->data_as<R>();
        const T* to = layer.data_as<T>();
        std::unordered_map<std::uint64_t, std::uint64_t> pairs;
        for (std::int64_t z = lo[0]; z <= hi[0]; ++z) {
          for (std::int64_t y = lo[1]; y <= hi[1]; ++y) {
            const auto row = static_cast<std::size_t>((z * shape[1] + y) * shape[2]);
            for (auto i = row + static_cast<std::size_t>(lo[2]);
                 i <= row + static_cast<std::size_t>(hi[2]); ++i) {
              if (from[i] != R{0} && to[i] != T{0}) ++pairs[std::uint64_t{from[i]} << 32 | to[i]];
            }
          }
        }
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
      // The voxels of the value that meet 0 (stats of a file from elsewhere may undercount).
      most = totals[from] > labelled ? totals[from] - labelled : 0;
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
