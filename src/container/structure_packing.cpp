#include "container/structure_packing.hpp"

#include <algorithm>
#include <map>

#include "core/dtype_dispatch.hpp"

namespace medmask::container {

void split_by_occupancy(const LabelVolume& layer, const detail::Runs& runs, detail::Runs& free,
                        detail::Runs& taken) {
  free.clear();
  taken.clear();
  detail::visit_dtype(layer.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = layer.data_as<T>();
    for (const detail::Run& run : runs) {
      std::size_t x = run.begin;
      while (x < run.end) {
        const bool is_free = values[x] == 0;
        const std::size_t begin = x;
        while (x < run.end && (values[x] == 0) == is_free) ++x;
        (is_free ? free : taken).push_back({begin, x});
      }
    }
  });
}

namespace {

// Whether the voxels `taken` in `layer`, out of the structure's `total`, are nearly all one stored
// structure's and cover nearly all of it (kNearCopyFraction both ways).
bool near_copy_of_one(const LabelVolume& layer, const detail::Runs& taken, std::uint64_t total) {
  bool near_copy = false;
  detail::visit_dtype(layer.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = layer.data_as<T>();
    std::map<T, std::uint64_t> count;
    for (const detail::Run& run : taken) {
      for (std::size_t i = run.begin; i < run.end; ++i) ++count[values[i]];
    }
    const auto most =
        std::max_element(count.begin(), count.end(),
                         [](const auto& a, const auto& b) { return a.second < b.second; });
    if (most == count.end() ||
        static_cast<double>(most->second) < kNearCopyFraction * static_cast<double>(total)) {
      return;
    }
    // The structure's voxels in the layer: a scan of the layer, made only for a near-copy.
    const auto all =
        static_cast<std::uint64_t>(std::count(values, values + layer.size(), most->first));
    near_copy = static_cast<double>(most->second) >= kNearCopyFraction * static_cast<double>(all);
  });
  return near_copy;
}

}  // namespace

std::vector<Placement> place_structure(const std::vector<const LabelVolume*>& layers,
                                       const detail::Runs& runs, bool own_layer) {
  std::vector<Placement> placements;
  if (own_layer && !runs.empty()) {
    placements.push_back({layers.size(), runs});
    return placements;
  }
  detail::Runs remaining = runs;
  detail::Runs free;
  detail::Runs taken;
  std::size_t layer = 0;
  bool near_copy = false;  // of a structure in a layer it skipped
  while (!remaining.empty() && layer < layers.size()) {
    split_by_occupancy(*layers[layer], remaining, free, taken);
    const std::uint64_t count = detail::voxel_count(remaining);
    if (static_cast<double>(detail::voxel_count(taken)) <=
        kMaxSplitFraction * static_cast<double>(count)) {
      placements.push_back({layer, std::move(free)});
      remaining = std::move(taken);
      free = {};
    } else if (placements.empty() && !near_copy) {
      near_copy = near_copy_of_one(*layers[layer], taken, count);
    }
    ++layer;
  }
  // A near-copy that would be split with a piece in a new layer goes whole into that layer.
  if (near_copy && !remaining.empty()) return {{layers.size(), runs}};
  // An empty structure still needs a home: the first layer (or a new one when there is none).
  if (placements.empty() && remaining.empty()) placements.push_back({0, {}});
  if (!remaining.empty()) placements.push_back({layers.size(), std::move(remaining)});
  return placements;
}

namespace {

// Drops from `member` every structure whose voxels the others cover too, smallest first (ties:
// the lower id), so that a union of lobes with lesions inside them is defined by the lobes alone:
// with a layer per structure no layer holds "the lobes" to prefer.
void drop_redundant_members(const std::vector<LayerParts>& layers, const detail::Runs& runs,
                            std::vector<bool>& member) {
  // cover[k]: how many members hold the k-th voxel of runs; at[id]: the voxels member id holds.
  std::vector<std::uint32_t> cover(detail::voxel_count(runs), 0);
  std::vector<std::vector<std::size_t>> at(member.size());
  for (const LayerParts& layer : layers) {
    detail::visit_dtype(layer.volume->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* values = layer.volume->data_as<T>();
      std::size_t k = 0;
      for (const detail::Run& run : runs) {
        for (std::size_t i = run.begin; i < run.end; ++i, ++k) {
          if (values[i] == 0) continue;
          const auto it = layer.parts.find(values[i]);
          if (it == layer.parts.end() || !member[it->second.first]) continue;
          at[it->second.first].push_back(k);
          ++cover[k];
        }
      }
    });
  }
  std::vector<std::size_t> order;
  for (std::size_t id = 0; id < member.size(); ++id) {
    if (member[id]) order.push_back(id);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return at[a].size() < at[b].size(); });
  for (const std::size_t id : order) {
    const bool needed =
        std::any_of(at[id].begin(), at[id].end(), [&](std::size_t k) { return cover[k] < 2; });
    if (needed) continue;
    member[id] = false;
    for (const std::size_t k : at[id]) --cover[k];
  }
}

}  // namespace

std::vector<std::size_t> find_union_of_stored(const std::vector<LayerParts>& layers,
                                              const std::vector<std::size_t>& parts_per_structure,
                                              const detail::Runs& runs) {
  const std::uint64_t wanted_voxels = detail::voxel_count(runs);
  if (wanted_voxels == 0) return {};
  // Pass 1: how many voxels of each stored part lie inside runs.
  std::vector<std::map<std::uint32_t, std::uint64_t>> inside(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    detail::visit_dtype(layers[l].volume->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* values = layers[l].volume->data_as<T>();
      std::uint32_t last = 0;
      std::uint64_t* last_count = nullptr;
      for (const detail::Run& run : runs) {
        for (std::size_t i = run.begin; i < run.end; ++i) {
          const std::uint32_t v = values[i];
          if (v == 0) continue;
          if (v != last || last_count == nullptr) {
            last = v;
            last_count = &inside[l][v];
          }
          ++*last_count;
        }
      }
    });
  }
  // A structure is a member when every part of it lies wholly inside.
  std::vector<std::size_t> contained_parts(parts_per_structure.size(), 0);
  std::uint64_t member_voxels = 0;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    for (const auto& [value, count] : inside[l]) {
      const auto it = layers[l].parts.find(value);
      if (it == layers[l].parts.end() || it->second.second != count) continue;
      ++contained_parts[it->second.first];
      member_voxels += count;
    }
  }
  std::vector<bool> contained(parts_per_structure.size(), false);
  for (std::size_t id = 0; id < parts_per_structure.size(); ++id) {
    contained[id] = parts_per_structure[id] > 0 && contained_parts[id] == parts_per_structure[id];
  }
  if (member_voxels < wanted_voxels) return {};
  // Pass 2: every voxel inside must be covered by a member. Prefer the contained structures of
  // one layer (the 5 lobes rather than lobes, segments and lesions), then all contained ones.
  const auto covers = [&](const std::vector<bool>& member) {
    for (const detail::Run& run : runs) {
      for (std::size_t i = run.begin; i < run.end; ++i) {
        bool covered = false;
        for (std::size_t l = 0; l < layers.size() && !covered; ++l) {
          const std::uint32_t v = layers[l].volume->get(i);
          if (v == 0) continue;
          const auto it = layers[l].parts.find(v);
          covered = it != layers[l].parts.end() && member[it->second.first];
        }
        if (!covered) return false;
      }
    }
    return true;
  };
  const auto ids = [](const std::vector<bool>& member) {
    std::vector<std::size_t> out;
    for (std::size_t id = 0; id < member.size(); ++id) {
      if (member[id]) out.push_back(id);
    }
    return out;
  };
  for (const LayerParts& layer : layers) {
    std::vector<bool> member(contained.size(), false);
    for (const auto& [value, part] : layer.parts) member[part.first] = contained[part.first];
    if (std::find(member.begin(), member.end(), true) != member.end() && covers(member)) {
      return ids(member);
    }
  }
  if (std::find(contained.begin(), contained.end(), true) == contained.end()) return {};
  if (!covers(contained)) return {};
  drop_redundant_members(layers, runs, contained);
  return ids(contained);
}

}  // namespace medmask::container
