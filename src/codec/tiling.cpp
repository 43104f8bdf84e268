// codec/tiling.cpp: a volume as independent y/x tiles of z-chunks, coded on a few threads.
#include "codec/tiling.hpp"

#include <algorithm>
#include <cstring>

#include "detail/parallel_for.hpp"

namespace medmask::codec {
namespace {

std::size_t ceil_div(std::size_t a, std::size_t b) { return a == 0 ? 0 : (a - 1) / b + 1; }

// Calls row(offset in the volume, offset in the tile, voxels) for each row of the tile.
template <class RowFn>
void for_each_tile_row(const TileBox& b, Dims volume, RowFn&& row) {
  for (std::size_t z = 0; z < b.dims.nz; ++z) {
    for (std::size_t y = 0; y < b.dims.ny; ++y) {
      row(((b.z0 + z) * volume.ny + b.y0 + y) * volume.nx + b.x0, (z * b.dims.ny + y) * b.dims.nx,
          b.dims.nx);
    }
  }
}

}  // namespace

TileGrid::TileGrid(Dims volume, Dims tile)
    : volume_(volume),
      tile_(tile),
      tz_(ceil_div(volume.nz, tile.nz)),
      ty_(ceil_div(volume.ny, tile.ny)),
      tx_(ceil_div(volume.nx, tile.nx)) {}

TileBox TileGrid::box(std::size_t k) const {
  const std::size_t kx = k % tx_, ky = (k / tx_) % ty_, kz = k / (tx_ * ty_);
  TileBox b;
  b.z0 = kz * tile_.nz;
  b.y0 = ky * tile_.ny;
  b.x0 = kx * tile_.nx;
  b.dims = {std::min(tile_.nx, volume_.nx - b.x0), std::min(tile_.ny, volume_.ny - b.y0),
            std::min(tile_.nz, volume_.nz - b.z0)};
  return b;
}

std::size_t balanced_chunk_depth(std::size_t nz, std::size_t first, std::size_t last,
                                 std::size_t pieces) {
  if (pieces <= 1) return nz;
  std::size_t best_depth = nz, best_longest = last - first + 1;
  // Every depth is tried (nz of them, a few operations each): the grid is anchored at slice 0, so
  // the cut points are not free and no formula gives the best one.
  for (std::size_t depth = nz; depth >= 1; --depth) {
    const std::size_t count = last / depth - first / depth + 1;
    if (count > pieces) continue;
    const std::size_t head = std::min(last, (first / depth + 1) * depth - 1) - first + 1;
    const std::size_t tail = last - (last / depth) * depth + 1;
    const std::size_t longest =
        count == 1 ? last - first + 1 : std::max({head, tail, count > 2 ? depth : 0});
    if (longest < best_longest) {
      best_longest = longest;
      best_depth = depth;
    }
  }
  return best_depth;
}

std::vector<std::size_t> TileGrid::meeting(std::size_t z0, std::size_t z1, std::size_t y0,
                                           std::size_t y1, std::size_t x0, std::size_t x1) const {
  z1 = std::min(z1, volume_.nz);
  y1 = std::min(y1, volume_.ny);
  x1 = std::min(x1, volume_.nx);
  std::vector<std::size_t> out;
  if (z0 >= z1 || y0 >= y1 || x0 >= x1) return out;
  for (std::size_t kz = z0 / tile_.nz; kz <= (z1 - 1) / tile_.nz; ++kz) {
    for (std::size_t ky = y0 / tile_.ny; ky <= (y1 - 1) / tile_.ny; ++ky) {
      for (std::size_t kx = x0 / tile_.nx; kx <= (x1 - 1) / tile_.nx; ++kx) {
        out.push_back((kz * ty_ + ky) * tx_ + kx);
      }
    }
  }
  return out;
}

template <class T>
std::vector<T> tile_of(const T* volume, Dims dims, const TileBox& b) {
  std::vector<T> buffer(b.dims.nx * b.dims.ny * b.dims.nz);
  for_each_tile_row(b, dims, [&](std::size_t in_volume, std::size_t in_tile, std::size_t n) {
    std::memcpy(buffer.data() + in_tile, volume + in_volume, n * sizeof(T));
  });
  return buffer;
}

template <class T>
std::vector<std::vector<std::uint8_t>> encode_tiles(const T* voxels, Dims dims, Dims tile,
                                                    Level level, unsigned threads,
                                                    const T* predicted) {
  const TileGrid grid(dims, tile);
  std::vector<std::vector<std::uint8_t>> out(grid.count());
  detail::parallel_for(grid.count(), threads, [&](std::size_t k) {
    const TileBox b = grid.box(k);
    const std::vector<T> buffer = tile_of(voxels, dims, b);
    if (predicted == nullptr) {
      if (std::all_of(buffer.begin(), buffer.end(), [](T v) { return v == T{0}; })) return;
      out[k] = encode_chunk(buffer.data(), b.dims, level);
      return;
    }
    const std::vector<T> prediction = tile_of(predicted, dims, b);
    if (buffer == prediction) return;
    out[k] = encode_chunk(buffer.data(), b.dims, level, prediction.data());
  });
  return out;
}

template <class T>
Status decode_tiles(const std::vector<std::span<const std::uint8_t>>& tiles, Dims dims, Dims tile,
                    T* out, unsigned threads, bool out_is_zero, const T* predicted) {
  const TileGrid grid(dims, tile);
  if (tiles.size() != grid.count()) return Status::kBadArgument;
  // Only tiles with work are jobs (into zeros an empty tile has none), so that a sparse entry
  // does not wake the threads for nothing. Decoding time follows a tile's coded size: the largest
  // go first so that no thread is left with a big one at the end.
  std::vector<std::size_t> order;
  for (std::size_t k = 0; k < tiles.size(); ++k) {
    if (!tiles[k].empty() || !out_is_zero || predicted != nullptr) order.push_back(k);
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return tiles[a].size() > tiles[b].size(); });
  std::vector<Status> results(tiles.size(), Status::kOk);
  // Each tile is decoded in place, straight into its voxels of the volume (tiles are disjoint):
  // no buffer to clear and copy, and a zero volume's pages are touched only in crop boxes.
  detail::parallel_for(order.size(), threads, [&](std::size_t i) {
    const std::size_t k = order[i];
    const TileBox b = grid.box(k);
    T* at = out + (b.z0 * dims.ny + b.y0) * dims.nx + b.x0;
    if (tiles[k].empty()) {  // an empty tile holds only zeros, or with a prediction equals it
      for_each_tile_row(b, dims, [&](std::size_t in_volume, std::size_t, std::size_t n) {
        if (predicted != nullptr) {
          std::memcpy(out + in_volume, predicted + in_volume, n * sizeof(T));
        } else {
          std::fill(out + in_volume, out + in_volume + n, T{0});
        }
      });
      return;
    }
    std::vector<T> prediction;
    if (predicted != nullptr) prediction = tile_of(predicted, dims, b);
    results[k] = decode_chunk_into(tiles[k].data(), tiles[k].size(), b.dims, at, dims.nx, dims.ny,
                                   out_is_zero, predicted != nullptr ? prediction.data() : nullptr);
  });
  for (const Status s : results) {
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

#define MEDMASK_TILING_INSTANTIATE(T)                                                            \
  template std::vector<std::vector<std::uint8_t>> encode_tiles<T>(const T*, Dims, Dims, Level,   \
                                                                  unsigned, const T*);           \
  template Status decode_tiles<T>(const std::vector<std::span<const std::uint8_t>>&, Dims, Dims, \
                                  T*, unsigned, bool, const T*);
MEDMASK_TILING_INSTANTIATE(std::uint8_t)
MEDMASK_TILING_INSTANTIATE(std::uint16_t)
MEDMASK_TILING_INSTANTIATE(std::uint32_t)
#undef MEDMASK_TILING_INSTANTIATE

}  // namespace medmask::codec
