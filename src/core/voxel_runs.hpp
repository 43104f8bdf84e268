// core/voxel_runs.hpp: a mask as runs of inside voxels along x. Masks are mostly background,
// so working on runs (finding, counting, filling) costs what the structure costs, not the grid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
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

// First index in [x, end) whose value is non-zero, or end. Masks are mostly background, so zero
// bytes are skipped 32, then eight at a time.
template <class T>
std::size_t skip_zeros(const T* values, std::size_t x, std::size_t end) {
  const auto* bytes = reinterpret_cast<const unsigned char*>(values);
  std::size_t byte = x * sizeof(T);
  const std::size_t byte_end = end * sizeof(T);
  while (byte + 32 <= byte_end) {
    std::uint64_t words[4];
    std::memcpy(words, bytes + byte, 32);
    if ((words[0] | words[1] | words[2] | words[3]) != 0) break;
    byte += 32;
  }
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
