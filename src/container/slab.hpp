// container/slab.hpp: decoded voxels of one unit of an entry, placed in the grid.
#pragma once

#include <cstdint>

#include "medmask/volume.hpp"

namespace medmask::container {

// Decoded voxels of one unit of an entry (a z-chunk, or a tile of one): its voxel (0, 0, 0) is
// grid voxel origin_zyx. A z-chunk or tile read from the file holds only its crop box (every
// voxel of the unit outside the slab is 0); a "zstd" entry and the writer's open volume are one
// slab of the whole grid. The volume shares its buffer (with the cache or the writer's open
// volume) and keeps it alive.
struct Slab {
  LabelVolume volume;
  Shape3 origin_zyx{};
  std::int64_t z0() const { return origin_zyx[0]; }
  std::int64_t z_end() const { return origin_zyx[0] + volume.shape_zyx()[0]; }
  // Grid voxel (z, y, x) lies in the slab.
  bool holds(std::int64_t z, std::int64_t y, std::int64_t x) const {
    const Shape3& n = volume.shape_zyx();
    const Shape3& o = origin_zyx;
    return z >= o[0] && z < o[0] + n[0] && y >= o[1] && y < o[1] + n[1] && x >= o[2] &&
           x < o[2] + n[2];
  }
};

}  // namespace medmask::container
