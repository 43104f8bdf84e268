// codec/context_model.hpp: the causal neighbourhood templates and the probability models of the
// label codec (adaptive bit models, and the logistic mixer of the max level).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "codec/range_coder.hpp"

namespace medmask::codec {

// One causal neighbour: offset from the voxel being coded (dz = -1 is the previous slice).
struct Offset {
  int dx, dy, dz;
};

// Neighbour i sets bit i of a candidate's pattern. Every level uses a prefix of this list.
inline constexpr int kMaxNeighbours = 16;
inline constexpr int kExtraNeighbours = 10;  // only in the max level's large context
inline constexpr Offset kTemplate[kMaxNeighbours + kExtraNeighbours] = {
    {-1, 0, 0},    // 0 W
    {0, -1, 0},    // 1 N
    {0, 0, -1},    // 2 P   (same x, y in the previous slice)
    {-1, -1, 0},   // 3 NW
    {1, -1, 0},    // 4 NE
    {-1, 0, -1},   // 5 P west
    {1, 0, -1},    // 6 P east
    {0, -1, -1},   // 7 P north
    {0, 1, -1},    // 8 P south
    {-1, -1, -1},  // 9 P north-west
    {1, -1, -1},   // 10 P north-east
    {-1, 1, -1},   // 11 P south-west
    {1, 1, -1},    // 12 P south-east
    {0, 0, -2},    // 13 PP (two slices back)
    {-2, 0, 0},    // 14 WW
    {0, -2, 0},    // 15 NN
    {2, -1, 0},    // 16 NEE
    {-2, -1, 0},   // 17 NWW
    {0, -2, -1},   // 18 P north-north
    {0, 2, -1},    // 19 P south-south
    {-2, 0, -1},   // 20 P west-west
    {2, 0, -1},    // 21 P east-east
    {0, -1, -2},   // 22 PP north
    {0, 1, -2},    // 23 PP south
    {-1, 0, -2},   // 24 PP west
    {1, 0, -2},    // 25 PP east
};

inline constexpr int template_size(std::uint8_t level) {
  return level == 0 ? 9 : (level == 1 ? 14 : 16);
}

// Logistic-domain helpers of the max level (as in lpaq1), all integer so that every platform
// computes the same numbers. squash(d) = 4096 / (1 + e^(-d/256)) by linear interpolation in a
// 33-entry table; stretch(p) is its inverse on 12-bit probabilities.
inline constexpr int kSquashTable[33] = {1,    2,    3,    6,    10,   16,   27,   45,   73,
                                         120,  194,  310,  488,  747,  1101, 1546, 2047, 2549,
                                         2994, 3348, 3607, 3785, 3901, 3975, 4024, 4050, 4068,
                                         4079, 4085, 4089, 4092, 4093, 4094};
constexpr int squash(int d) {
  const auto& kT = kSquashTable;
  if (d > 2047) return 4095;
  if (d < -2047) return 0;
  const int w = d & 127;
  const int i = (d >> 7) + 16;
  return (kT[i] * (128 - w) + kT[i + 1] * w + 64) >> 7;
}

struct StretchTable {
  std::int16_t t[4096];
  constexpr StretchTable() : t() {
    int pi = 0;
    for (int x = -2047; x <= 2047; ++x) {
      const int v = squash(x);
      for (int i = pi; i <= v; ++i) t[i] = static_cast<std::int16_t>(x);
      pi = v + 1;
    }
    for (int i = pi; i < 4096; ++i) t[i] = 2047;
  }
};

// An adaptive probability map (secondary estimation): refines a 12-bit probability in a small
// context by interpolating between 33 buckets of its stretched value; the nearer bucket learns.
class Apm {
 public:
  explicit Apm(std::size_t contexts) : t_(contexts * 33) {
    for (std::size_t c = 0; c < contexts; ++c) {
      for (int j = 0; j < 33; ++j)
        t_[c * 33 + static_cast<std::size_t>(j)] =
            static_cast<std::uint16_t>(squash((j - 16) * 128) * 16);
    }
  }
  // Returns P(1) in 1/65536 for the 12-bit probability p12 (1..4095) in context ctx.
  std::uint32_t refine(int stretched, std::size_t ctx) {
    const int s = stretched + 2048;  // 1 .. 4095
    const int w = s & 127;
    index_ = ctx * 33 + static_cast<std::size_t>(s >> 7);
    near_ = index_ + (w >> 6 != 0 ? 1 : 0);
    return static_cast<std::uint32_t>((t_[index_] * (128 - w) + t_[index_ + 1] * w) >> 7);
  }
  void update(int bit) {
    const int target = bit != 0 ? 65535 : 0;
    const int v = t_[near_];
    t_[near_] = static_cast<std::uint16_t>(v + ((target - v) >> 7));
  }

 private:
  std::vector<std::uint16_t> t_;
  std::size_t index_ = 0;
  std::size_t near_ = 0;
};

}  // namespace medmask::codec
