// codec/tiling.hpp: a volume cut into independent tiles: z-chunks of tile.nz slices, each cut into
// tile.ny rows by tile.nx columns (the last tile along an axis may be smaller). Every tile is one
// chunk stream (label_codec.hpp) of its own size, so a reader decodes only the tiles a request
// meets. Tile k is numbered in (z, y, x) C order of the tile grid. FORMAT.md 4.3.2 and 5.3.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "codec/label_codec.hpp"

namespace medmask::codec {

// One tile: its first voxel in the volume and its size.
struct TileBox {
  std::size_t z0 = 0, y0 = 0, x0 = 0;
  Dims dims{};
};

class TileGrid {
 public:
  // Requires: every extent of volume and tile >= 1.
  TileGrid(Dims volume, Dims tile);
  std::size_t count() const { return tz_ * ty_ * tx_; }
  TileBox box(std::size_t k) const;
  // The tiles meeting the half-open voxel box [z0, z1) x [y0, y1) x [x0, x1) (clipped to the
  // volume), in increasing order; none when the box is empty.
  std::vector<std::size_t> meeting(std::size_t z0, std::size_t z1, std::size_t y0, std::size_t y1,
                                   std::size_t x0, std::size_t x1) const;

 private:
  Dims volume_, tile_;
  std::size_t tz_, ty_, tx_;
};

// The chunk depth (slices per z-chunk, on the grid that starts at slice 0) that cuts slices
// [first, last] of a volume of nz slices into at most `pieces` z-chunks, the longest of them as
// short as it can be; nz (one chunk) when pieces <= 1. Requires first <= last < nz.
std::size_t balanced_chunk_depth(std::size_t nz, std::size_t first, std::size_t last,
                                 std::size_t pieces);

// Codes every tile with up to `threads` threads. A tile whose voxels are all 0 gets an empty
// vector (no stream): the container records it as empty. With `predicted` (a prediction of the
// whole volume, FORMAT.md 5.3.1) every tile is coded against its part of it, and a tile equal to
// its prediction gets an empty vector instead.
template <class T>
std::vector<std::vector<std::uint8_t>> encode_tiles(const T* voxels, Dims dims, Dims tile,
                                                    Level level, unsigned threads,
                                                    const T* predicted = nullptr);

// Decodes every tile in place into out (the whole volume); an empty span is a tile of zeros, or
// with `predicted` (as encode_tiles was given it) the tile's prediction. out_is_zero: `out`
// already holds zeros (fresh zero pages), so only the tiles' crop boxes are written: the pages of
// empty space stay unmapped. On a failure out holds partial voxels.
template <class T>
Status decode_tiles(const std::vector<std::span<const std::uint8_t>>& tiles, Dims dims, Dims tile,
                    T* out, unsigned threads, bool out_is_zero = false,
                    const T* predicted = nullptr);

}  // namespace medmask::codec
