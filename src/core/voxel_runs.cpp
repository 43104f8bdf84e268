#include "core/voxel_runs.hpp"

#include <algorithm>

#include "core/dtype_dispatch.hpp"

namespace medmask::detail {

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
  // Named copies, not structured bindings: clang < 16 (the fuzz build) cannot capture those.
  const std::int64_t z0 = box.bbox_min_zyx[0], y0 = box.bbox_min_zyx[1], x0 = box.bbox_min_zyx[2];
  const std::int64_t z1 = box.bbox_max_zyx[0], y1 = box.bbox_max_zyx[1], x1 = box.bbox_max_zyx[2];
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

void fill_runs(LabelVolume& volume, const Runs& runs, std::uint32_t value) {
  visit_dtype(volume.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* values = volume.data_as<T>();
    for (const Run& run : runs) {
      std::fill(values + run.begin, values + run.end, static_cast<T>(value));
    }
  });
}

}  // namespace medmask::detail
