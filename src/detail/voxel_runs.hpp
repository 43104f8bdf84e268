// detail/voxel_runs.hpp: a mask as runs of inside voxels along x. Masks are mostly background,
// so working on runs (finding, counting, filling) costs what the structure costs, not the grid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "medmask/mask.hpp"
#include "medmask/volume.hpp"

namespace medmask::detail {

// Half-open flat-index range [begin, end) of inside voxels within one row along x.
struct Run {
  std::size_t begin = 0;
  std::size_t end = 0;
};

using Runs = std::vector<Run>;

// The runs of non-zero voxels of a volume (any dtype), in C order.
Runs inside_runs(const LabelVolume& binary);

// The runs of voxels equal to value inside the (z, y, x) box of stats (C order).
Runs value_runs(const LabelVolume& volume, std::uint32_t value, const LabelStats& box);

std::uint64_t voxel_count(const Runs& runs) noexcept;

// Voxel count and bounding box of runs in a grid of shape_zyx.
LabelStats stats_of_runs(const Runs& runs, const Shape3& shape_zyx);

// Writes value into volume at every voxel of runs.
void fill_runs(LabelVolume& volume, const Runs& runs, std::uint32_t value);

}  // namespace medmask::detail
