// The fast level's bitstream is frozen like the others: streams written at fast by earlier versions
// must decode to what was coded, and the speed-ups (the two-candidate ranking, NearWord) must code
// exactly what the original scan coded. The streams in tests/data/golden were written by the
// encoder of commit aed4c62, before those speed-ups (PROVENANCE.md); the volumes are built here
// with integer arithmetic only.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "codec/label_codec.hpp"

namespace {

using medmask::codec::Dims;
using medmask::codec::Level;
using medmask::codec::Status;

std::vector<std::uint8_t> recorded(const std::string& name) {
  std::ifstream file(std::string(MEDMASK_SOURCE_DIR) + "/tests/data/golden/" + name,
                     std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// Balls of several labels that overlap (so voxels see two, three or more candidates), a slab
// crossing them, and scattered single voxels (escapes and new labels).
template <class T>
std::vector<T> scene(Dims d, std::uint32_t base) {
  std::vector<T> v(d.nx * d.ny * d.nz, T{0});
  const long balls[][4] = {{20, 18, 6, 12}, {30, 24, 9, 10}, {14, 30, 12, 9}, {34, 10, 4, 7}};
  for (std::size_t z = 0; z < d.nz; ++z) {
    for (std::size_t y = 0; y < d.ny; ++y) {
      for (std::size_t x = 0; x < d.nx; ++x) {
        T& out = v[(z * d.ny + y) * d.nx + x];
        for (std::uint32_t i = 0; i < 4; ++i) {
          const long dx = static_cast<long>(x) - balls[i][0];
          const long dy = static_cast<long>(y) - balls[i][1];
          const long dz = static_cast<long>(z) - balls[i][2];
          if (dx * dx + dy * dy + 3 * dz * dz <= balls[i][3] * balls[i][3]) out = T(base + i);
        }
        if ((x + 2 * y + 5 * z) % 23 == 0 && out != T{0}) out = T(base + 7);
        if ((x * 7 + y * 13 + z * 29) % 211 == 0) out = T(base + 9 + (x + y + z) % 5);
      }
    }
  }
  return v;
}

template <class T>
void expect_stream(Dims d, std::uint32_t base, const std::string& name) {
  const std::vector<T> v = scene<T>(d, base);
  const std::vector<std::uint8_t> old_stream = recorded(name);
  ASSERT_FALSE(old_stream.empty()) << name;
  std::vector<T> out(v.size(), T{1});
  ASSERT_EQ(medmask::codec::decode_chunk(old_stream.data(), old_stream.size(), d, out.data()),
            Status::kOk);
  EXPECT_EQ(out, v);
  EXPECT_EQ(medmask::codec::encode_chunk(v.data(), d, Level::kFast), old_stream);
}

TEST(CodecFastStream, Uint8MatchesTheRecordedStream) {
  expect_stream<std::uint8_t>(Dims{48, 40, 16}, 1, "fast_u8_48x40x16.cm");
}

TEST(CodecFastStream, Uint16MatchesTheRecordedStream) {
  expect_stream<std::uint16_t>(Dims{48, 40, 16}, 1000, "fast_u16_48x40x16.cm");
}

}  // namespace
