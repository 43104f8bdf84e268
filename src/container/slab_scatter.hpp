// container/slab_scatter.hpp: bool masks of many structures from one decoded slab, in one pass.
//
// A structure's part is the set of voxels of one entry holding one value, so reading structures
// is a scan of the entry's label map that sets, for each run of a wanted value, that run in every
// mask asking for it. One pass serves any number of masks, and only set voxels are written.
#pragma once

#include <cstdint>
#include <span>

#include "medmask/mask.hpp"
#include "medmask/volume.hpp"

namespace medmask::container {

// Voxels holding `value` go to `mask`: a bool volume of the grid's row and slice size whose
// slice 0 is grid slice `mask_z0`. Value 0 is background, skipped by the scan, never a target.
struct ValueTarget {
  std::uint32_t value = 0;
  std::uint8_t* mask = nullptr;
  std::int64_t mask_z0 = 0;
};

// Scans the slab (its voxel (0, 0, 0) is grid voxel origin_zyx: a z-chunk, or a tile of one) over
// grid slices [z_begin, z_end) and the rows and columns of `box` that lie in the slab, setting
// mask voxels to 1 where the slab holds a target's value. Masks have the grid's rows and columns
// (grid_ny, grid_nx). The slices must lie inside both the slab and every target's mask.
void scatter_slab(const LabelVolume& slab, const Shape3& origin_zyx, std::int64_t z_begin,
                  std::int64_t z_end, const LabelStats& box, std::int64_t grid_ny,
                  std::int64_t grid_nx, std::span<const ValueTarget> targets);

// A slab of whole slices (slice 0 is grid slice slab_z0), masks of the slab's row and slice size.
inline void scatter_slab(const LabelVolume& slab, std::int64_t slab_z0, std::int64_t z_begin,
                         std::int64_t z_end, const LabelStats& box,
                         std::span<const ValueTarget> targets) {
  scatter_slab(slab, Shape3{slab_z0, 0, 0}, z_begin, z_end, box, slab.shape_zyx()[1],
               slab.shape_zyx()[2], targets);
}

}  // namespace medmask::container
