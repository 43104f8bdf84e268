#include "container/structure_packing.hpp"

#include <algorithm>
#include <cstring>

#include "detail/dtype_dispatch.hpp"

namespace medmask::detail {

namespace {

// First index in [x, end) whose value is non-zero, or end. Masks are mostly background, so zero
// bytes are skipped eight at a time.
template <class T>
std::size_t skip_zeros(const T* values, std::size_t x, std::size_t end) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(values);
  std::size_t byte = x * sizeof(T);
  const std::size_t byte_end = end * sizeof(T);
  while (byte + 8 <= byte_end) {
    std::uint64_t word;
    std::memcpy(&word, bytes + byte, 8);
    if (word != 0) break;
    byte += 8;
  }
  x = byte / sizeof(T);
  while (x < end && values[x] == 0) ++x;
  return x;
}

}  // namespace

Runs inside_runs(const LabelVolume& binary) {
  Runs runs;
  const auto nx = static_cast<std::size_t>(binary.shape_zyx()[2]);
  const std::size_t n = binary.size();
  visit_dtype(binary.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = binary.data_as<T>();
    for (std::size_t row = 0; row < n; row += nx) {
      const std::size_t row_end = row + nx;
      std::size_t x = row;
      while (x < row_end) {
        x = skip_zeros(values, x, row_end);
        if (x == row_end) break;
        const std::size_t begin = x;
        while (x < row_end && values[x] != 0) ++x;
        runs.push_back({begin, x});
      }
    }
  });
  return runs;
}

Runs value_runs(const LabelVolume& volume, std::uint32_t value, const LabelStats& box) {
  Runs runs;
  if (box.voxels == 0) return runs;
  const auto ny = static_cast<std::size_t>(volume.shape_zyx()[1]);
  const auto nx = static_cast<std::size_t>(volume.shape_zyx()[2]);
  const auto [z0, y0, x0] = box.bbox_min_zyx;
  const auto [z1, y1, x1] = box.bbox_max_zyx;
  visit_dtype(volume.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = volume.data_as<T>();
    const auto wanted = static_cast<T>(value);
    for (auto z = static_cast<std::size_t>(z0); z <= static_cast<std::size_t>(z1); ++z) {
      for (auto y = static_cast<std::size_t>(y0); y <= static_cast<std::size_t>(y1); ++y) {
        const std::size_t row = (z * ny + y) * nx;
        std::size_t x = row + static_cast<std::size_t>(x0);
        const std::size_t row_end = row + static_cast<std::size_t>(x1) + 1;
        while (x < row_end) {
          if (values[x] != wanted) {
            ++x;
            continue;
          }
          const std::size_t begin = x;
          while (x < row_end && values[x] == wanted) ++x;
          runs.push_back({begin, x});
        }
      }
    }
  });
  return runs;
}

std::uint64_t voxel_count(const Runs& runs) noexcept {
  std::uint64_t count = 0;
  for (const Run& run : runs) count += run.end - run.begin;
  return count;
}

LabelStats stats_of_runs(const Runs& runs, const Shape3& shape_zyx) {
  LabelStats stats;
  const auto nx = static_cast<std::size_t>(shape_zyx[2]);
  const auto ny = static_cast<std::size_t>(shape_zyx[1]);
  for (const Run& run : runs) {
    const auto z = static_cast<std::int64_t>(run.begin / (nx * ny));
    const auto y = static_cast<std::int64_t>((run.begin / nx) % ny);
    const auto x0 = static_cast<std::int64_t>(run.begin % nx);
    const auto x1 = static_cast<std::int64_t>((run.end - 1) % nx);
    if (stats.voxels == 0) {
      stats.bbox_min_zyx = {z, y, x0};
      stats.bbox_max_zyx = {z, y, x1};
    } else {
      stats.bbox_min_zyx = {std::min(stats.bbox_min_zyx[0], z), std::min(stats.bbox_min_zyx[1], y),
                            std::min(stats.bbox_min_zyx[2], x0)};
      stats.bbox_max_zyx = {std::max(stats.bbox_max_zyx[0], z), std::max(stats.bbox_max_zyx[1], y),
                            std::max(stats.bbox_max_zyx[2], x1)};
    }
    stats.voxels += run.end - run.begin;
  }
  return stats;
}

void split_by_occupancy(const LabelVolume& layer, const Runs& runs, Runs& free, Runs& taken) {
  free.clear();
  taken.clear();
  visit_dtype(layer.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = layer.data_as<T>();
    for (const Run& run : runs) {
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

void fill_runs(LabelVolume& volume, const Runs& runs, std::uint32_t value) {
  visit_dtype(volume.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* values = volume.data_as<T>();
    for (const Run& run : runs) {
      std::fill(values + run.begin, values + run.end, static_cast<T>(value));
    }
  });
}

std::vector<Placement> place_structure(const std::vector<const LabelVolume*>& layers,
                                       const Runs& runs) {
  std::vector<Placement> placements;
  Runs remaining = runs;
  Runs free;
  Runs taken;
  std::size_t layer = 0;
  while (!remaining.empty() && layer < layers.size()) {
    split_by_occupancy(*layers[layer], remaining, free, taken);
    const auto total = static_cast<double>(voxel_count(remaining));
    if (static_cast<double>(voxel_count(taken)) <= kMaxSplitFraction * total) {
      placements.push_back({layer, std::move(free)});
      remaining = std::move(taken);
      free = {};
    }
    ++layer;
  }
  // An empty structure still needs a home: the first layer (or a new one when there is none).
  if (placements.empty() && remaining.empty()) placements.push_back({0, {}});
  if (!remaining.empty()) placements.push_back({layers.size(), std::move(remaining)});
  return placements;
}

std::vector<std::size_t> find_union_of_stored(const std::vector<LayerParts>& layers,
                                              const std::vector<std::size_t>& parts_per_structure,
                                              const Runs& runs) {
  const std::uint64_t wanted_voxels = voxel_count(runs);
  if (wanted_voxels == 0) return {};
  // Pass 1: how many voxels of each stored part lie inside runs.
  std::vector<std::map<std::uint32_t, std::uint64_t>> inside(layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    visit_dtype(layers[l].volume->dtype(), [&](auto tag) {
      using T = decltype(tag);
      const T* values = layers[l].volume->data_as<T>();
      std::uint32_t last = 0;
      std::uint64_t* last_count = nullptr;
      for (const Run& run : runs) {
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
    for (const Run& run : runs) {
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
  return covers(contained) ? ids(contained) : std::vector<std::size_t>{};
}

}  // namespace medmask::detail
