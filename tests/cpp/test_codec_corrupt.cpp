// Hostile input to the label codec: truncated, bit-flipped and mislabelled streams must return an
// error status (or, for a flip the coder cannot notice, some volume) without crashing or reading
// out of bounds. Run under -DMEDMASK_SANITIZE=ON to check the bounds.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "codec/label_codec.hpp"

namespace {

using medmask::codec::Dims;
using medmask::codec::Level;
using medmask::codec::Status;

std::vector<std::uint16_t> sample(Dims d) {
  std::vector<std::uint16_t> v(d.nx * d.ny * d.nz, 0);
  for (std::size_t z = 0; z < d.nz; ++z) {
    for (std::size_t y = 0; y < d.ny; ++y) {
      for (std::size_t x = 0; x < d.nx; ++x) {
        const std::size_t r = (x - 10) * (x - 10) + (y - 12) * (y - 12) + z * z;
        v[(z * d.ny + y) * d.nx + x] = r < 60 ? 3 : (r < 150 ? 1200 : (x + y > 40 ? 7 : 0));
      }
    }
  }
  return v;
}

TEST(CodecCorrupt, EveryTruncationIsAnError) {
  const Dims d{24, 22, 9};
  const auto v = sample(d);
  for (const Level level : {Level::kFast, Level::kDefault, Level::kMax}) {
    const auto stream = medmask::codec::encode_chunk(v.data(), d, level);
    std::vector<std::uint16_t> out(v.size());
    for (std::size_t n = 0; n < stream.size(); ++n) {
      const std::vector<std::uint8_t> cut(stream.begin(),
                                          stream.begin() + static_cast<std::ptrdiff_t>(n));
      const Status s = medmask::codec::decode_chunk(cut.data(), cut.size(), d, out.data());
      EXPECT_NE(s, Status::kOk) << "prefix of " << n << " bytes";
    }
    // Trailing bytes are rejected too.
    auto longer = stream;
    longer.push_back(0);
    EXPECT_EQ(medmask::codec::decode_chunk(longer.data(), longer.size(), d, out.data()),
              Status::kCorrupt);
  }
}

TEST(CodecCorrupt, HeaderFieldsAreChecked) {
  const Dims d{24, 22, 9};
  const auto v = sample(d);
  const auto stream = medmask::codec::encode_chunk(v.data(), d, Level::kDefault);
  std::vector<std::uint16_t> out(v.size());
  std::vector<std::uint8_t> out8(v.size());
  // Wrong dims, wrong dtype width, unknown version, unknown level.
  EXPECT_EQ(medmask::codec::decode_chunk(stream.data(), stream.size(), Dims{24, 22, 8}, out.data()),
            Status::kCorrupt);
  EXPECT_EQ(medmask::codec::decode_chunk(stream.data(), stream.size(), d, out8.data()),
            Status::kUnsupported);
  auto bad = stream;
  bad[0] = 99;
  EXPECT_EQ(medmask::codec::decode_chunk(bad.data(), bad.size(), d, out.data()),
            Status::kUnsupported);
  bad = stream;
  bad[2] = 3;
  EXPECT_EQ(medmask::codec::decode_chunk(bad.data(), bad.size(), d, out.data()),
            Status::kUnsupported);
  bad = stream;
  bad[1] = 9;
  EXPECT_EQ(medmask::codec::decode_chunk(bad.data(), bad.size(), d, out.data()), Status::kCorrupt);
  EXPECT_EQ(medmask::codec::decode_chunk(nullptr, 0, d, out.data()), Status::kTruncated);
  // The crop path checks the same fields.
  medmask::codec::CropBox crop;
  EXPECT_EQ(medmask::codec::peek_crop(stream.data(), stream.size(), Dims{24, 22, 8}, 2, &crop),
            Status::kCorrupt);
  EXPECT_EQ(medmask::codec::peek_crop(stream.data(), stream.size(), d, 1, &crop),
            Status::kUnsupported);
  EXPECT_EQ(medmask::codec::decode_crop(stream.data(), stream.size(), d, out8.data()),
            Status::kUnsupported);
}

TEST(CodecCorrupt, RandomFlipsNeverCrash) {
  const Dims d{24, 22, 9};
  const auto v = sample(d);
  std::mt19937 rng(11);
  for (const Level level : {Level::kFast, Level::kDefault, Level::kMax}) {
    const auto stream = medmask::codec::encode_chunk(v.data(), d, level);
    std::vector<std::uint16_t> out(v.size());
    int errors = 0;
    for (int trial = 0; trial < 300; ++trial) {
      auto bad = stream;
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, bad.size() - 1)(rng);
      bad[at] = static_cast<std::uint8_t>(bad[at] ^ (1u << (rng() % 8)));
      if (medmask::codec::decode_chunk(bad.data(), bad.size(), d, out.data()) != Status::kOk)
        ++errors;
      // The crop path reads the same header: a box it accepts lies inside the chunk, and the
      // decoder keeps within a buffer of exactly that box.
      medmask::codec::CropBox crop;
      if (medmask::codec::peek_crop(bad.data(), bad.size(), d, sizeof(std::uint16_t), &crop) ==
              Status::kOk &&
          !crop.empty) {
        ASSERT_LE(crop.x0 + crop.dims.nx, d.nx);
        ASSERT_LE(crop.y0 + crop.dims.ny, d.ny);
        ASSERT_LE(crop.z0 + crop.dims.nz, d.nz);
        std::vector<std::uint16_t> box(crop.dims.nx * crop.dims.ny * crop.dims.nz, 0);
        (void)medmask::codec::decode_crop(bad.data(), bad.size(), d, box.data());
      }
    }
    EXPECT_GT(errors, 0);
    // Pure garbage after a valid header.
    auto garbage = stream;
    for (std::size_t i = 12; i < garbage.size(); ++i) garbage[i] = static_cast<std::uint8_t>(rng());
    (void)medmask::codec::decode_chunk(garbage.data(), garbage.size(), d, out.data());
  }
}

}  // namespace
