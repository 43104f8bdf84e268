// Stream mode 3 (FORMAT.md A.5.5): a chunk coded against a prediction, as a layer coded against an
// earlier one. Volumes are built by construction; every decode is compared with them.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "codec/label_codec.hpp"

namespace {

using medmask::codec::Dims;
using medmask::codec::Level;
using medmask::codec::Status;

constexpr std::uint8_t kModePredictedEdges = 5;
constexpr Dims kDims{48, 40, 30};

std::size_t at(std::size_t x, std::size_t y, std::size_t z) {
  return (z * kDims.ny + y) * kDims.nx + x;
}

// An ellipsoid of label 1.
std::vector<std::uint8_t> ellipsoid() {
  std::vector<std::uint8_t> v(kDims.nx * kDims.ny * kDims.nz, 0);
  for (std::size_t z = 0; z < kDims.nz; ++z)
    for (std::size_t y = 0; y < kDims.ny; ++y)
      for (std::size_t x = 0; x < kDims.nx; ++x) {
        const double dx = (static_cast<double>(x) - 23.5) / 19,
                     dy = (static_cast<double>(y) - 19) / 15,
                     dz = (static_cast<double>(z) - 14.5) / 12;
        if (dx * dx + dy * dy + dz * dz <= 1.0) v[at(x, y, z)] = 1;
      }
  return v;
}

// The shape with its outer shell added on slices [z0, z1): a second model's near-copy.
std::vector<std::uint8_t> grown(const std::vector<std::uint8_t>& v, std::size_t z0,
                                std::size_t z1) {
  std::vector<std::uint8_t> out = v;
  for (std::size_t z = z0; z < z1; ++z)
    for (std::size_t y = 1; y + 1 < kDims.ny; ++y)
      for (std::size_t x = 1; x + 1 < kDims.nx; ++x)
        if (v[at(x, y, z)] == 0 && (v[at(x - 1, y, z)] | v[at(x + 1, y, z)] | v[at(x, y - 1, z)] |
                                    v[at(x, y + 1, z)]) != 0)
          out[at(x, y, z)] = 1;
  return out;
}

std::vector<std::uint8_t> decoded(const std::vector<std::uint8_t>& stream,
                                  const std::uint8_t* predicted) {
  std::vector<std::uint8_t> out(kDims.nx * kDims.ny * kDims.nz, 9);
  EXPECT_EQ(medmask::codec::decode_chunk(stream.data(), stream.size(), kDims, out.data(), false,
                                         predicted),
            Status::kOk);
  return out;
}

TEST(CodecPrediction, ANearCopyRoundTripsAgainstItsOriginalAtEveryLevel) {
  const auto original = ellipsoid();
  const auto copy = grown(original, 12, 15);
  for (const Level level : {Level::kFast, Level::kDefault, Level::kMax}) {
    const auto stream = medmask::codec::encode_chunk(copy.data(), kDims, level, original.data());
    ASSERT_GT(stream.size(), 2u);
    EXPECT_EQ(stream[1], kModePredictedEdges);
    EXPECT_EQ(decoded(stream, original.data()), copy);
    std::vector<std::uint8_t> out(copy.size(), 0);
    EXPECT_EQ(medmask::codec::decode_chunk(stream.data(), stream.size(), kDims, out.data()),
              Status::kNeedsPrediction);
    const auto alone = medmask::codec::encode_chunk(copy.data(), kDims, level);
    EXPECT_LT(stream.size() * 3, alone.size()) << stream.size() << " vs " << alone.size();
  }
}

}  // namespace
