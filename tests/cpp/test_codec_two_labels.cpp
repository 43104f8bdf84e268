// Stream modes 4 and 6 (FORMAT.md A.5.6, A.5.8): a chunk holding 0 and one other label is coded as
// two labels at levels fast and default, since 2026-12-06 with primed models (mode 6); mode 4 is
// still read. Volumes are built by construction; every decode is compared with them.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "codec/label_codec.hpp"

namespace {

using medmask::codec::Dims;
using medmask::codec::Level;
using medmask::codec::Status;

constexpr std::uint8_t kModeCoded = 2;
constexpr std::uint8_t kModeTwoLabelsUnprimed = 4;  // read, no longer written
constexpr std::uint8_t kModeTwoLabels = 6;

// A ball with a hole, a thin diagonal line, a one-voxel-wide plate and isolated voxels: runs that
// break, boundaries in every direction and voxels with no neighbour holding the label.
template <class T>
std::vector<T> shape(Dims d, T label) {
  std::vector<T> v(d.nx * d.ny * d.nz, T{0});
  for (std::size_t z = 0; z < d.nz; ++z) {
    for (std::size_t y = 0; y < d.ny; ++y) {
      for (std::size_t x = 0; x < d.nx; ++x) {
        const long dx = static_cast<long>(x) - 18, dy = static_cast<long>(y) - 15,
                   dz = static_cast<long>(z) - 7;
        const long r2 = dx * dx + dy * dy + 3 * dz * dz;
        const bool ball = r2 <= 110 && r2 > 12;
        const bool line = x == y + z && x < d.nx;
        const bool plate = x == 33 && y > 4 && y < 26;
        const bool speck = (x * 7 + y * 13 + z * 29) % 173 == 0;
        if (ball || line || plate || speck) v[(z * d.ny + y) * d.nx + x] = label;
      }
    }
  }
  return v;
}

template <class T>
std::vector<std::uint8_t> expect_round_trip(const std::vector<T>& v, Dims d, Level level) {
  const auto stream = medmask::codec::encode_chunk(v.data(), d, level);
  std::vector<T> out(v.size(), T{7});
  EXPECT_EQ(medmask::codec::decode_chunk(stream.data(), stream.size(), d, out.data()), Status::kOk);
  EXPECT_EQ(out, v);
  // Into zeros, and the crop box alone, as the container reads tiles.
  std::vector<T> zeros(v.size(), T{0});
  EXPECT_EQ(medmask::codec::decode_chunk(stream.data(), stream.size(), d, zeros.data(), true),
            Status::kOk);
  EXPECT_EQ(zeros, v);
  medmask::codec::CropBox crop;
  EXPECT_EQ(medmask::codec::peek_crop(stream.data(), stream.size(), d, sizeof(T), &crop),
            Status::kOk);
  std::vector<T> box(crop.dims.nx * crop.dims.ny * crop.dims.nz, T{0});
  EXPECT_EQ(medmask::codec::decode_crop(stream.data(), stream.size(), d, box.data()), Status::kOk);
  std::vector<T> inside;
  for (std::size_t z = 0; z < crop.dims.nz; ++z) {
    for (std::size_t y = 0; y < crop.dims.ny; ++y) {
      const std::size_t at = ((crop.z0 + z) * d.ny + crop.y0 + y) * d.nx + crop.x0;
      inside.insert(inside.end(), v.begin() + static_cast<std::ptrdiff_t>(at),
                    v.begin() + static_cast<std::ptrdiff_t>(at + crop.dims.nx));
    }
  }
  EXPECT_EQ(box, inside);
  return stream;
}

TEST(CodecTwoLabels, EveryWidthAndLabelRoundTripsInModeSixBelowMax) {
  const Dims d{40, 31, 15};
  for (const Level level : {Level::kFast, Level::kDefault, Level::kMax}) {
    const std::uint8_t mode = level == Level::kMax ? kModeCoded : kModeTwoLabels;
    for (const std::uint8_t label : {std::uint8_t{1}, std::uint8_t{200}, std::uint8_t{255}}) {
      EXPECT_EQ(expect_round_trip(shape<std::uint8_t>(d, label), d, level)[1], mode);
    }
    for (const std::uint16_t label : {std::uint16_t{1000}, std::uint16_t{65535}}) {
      EXPECT_EQ(expect_round_trip(shape<std::uint16_t>(d, label), d, level)[1], mode);
    }
    const std::uint32_t big = std::numeric_limits<std::uint32_t>::max();
    EXPECT_EQ(expect_round_trip(shape<std::uint32_t>(d, big), d, level)[1], mode);
  }
}

TEST(CodecTwoLabels, ASecondLabelKeepsModeTwo) {
  const Dims d{40, 31, 15};
  for (const Level level : {Level::kFast, Level::kDefault}) {
    auto v = shape<std::uint8_t>(d, 3);
    v[(7 * d.ny + 15) * d.nx + 18] = 4;  // inside the ball's hole
    EXPECT_EQ(expect_round_trip(v, d, level)[1], kModeCoded);
  }
  // The other label as the crop box's first or last voxel: the test reads the box's edges too.
  for (const std::size_t at : {std::size_t{0}, d.nx * d.ny * d.nz - 1}) {
    auto v = shape<std::uint8_t>(d, 3);
    v[at] = 4;
    EXPECT_EQ(expect_round_trip(v, d, Level::kDefault)[1], kModeCoded) << at;
  }
}

// The scan never looks at the width: the payload and the label's varint are the same for the
// same labels in every dtype (only the width byte differs).
TEST(CodecTwoLabels, PayloadDoesNotDependOnDtype) {
  const Dims d{40, 31, 15};
  for (const Level level : {Level::kFast, Level::kDefault}) {
    auto s8 = medmask::codec::encode_chunk(shape<std::uint8_t>(d, 9).data(), d, level);
    auto s16 = medmask::codec::encode_chunk(shape<std::uint16_t>(d, 9).data(), d, level);
    auto s32 = medmask::codec::encode_chunk(shape<std::uint32_t>(d, 9).data(), d, level);
    ASSERT_EQ(s8[3], 1);
    s16[3] = s32[3] = 1;
    EXPECT_EQ(s8, s16);
    EXPECT_EQ(s8, s32);
  }
}

// The label's varint follows the six of the box (all one byte here: 4 + 3 + 6 = 13).
constexpr std::size_t kLabelAt = 13;

TEST(CodecTwoLabels, TheLabelAndLevelAreChecked) {
  const Dims d{40, 31, 15};
  const auto stream =
      medmask::codec::encode_chunk(shape<std::uint8_t>(d, 100).data(), d, Level::kDefault);
  ASSERT_EQ(stream[1], kModeTwoLabels);
  ASSERT_EQ(stream[kLabelAt], 100);
  std::vector<std::uint8_t> out(d.nx * d.ny * d.nz);
  const auto decode = [&](const std::vector<std::uint8_t>& s) {
    return medmask::codec::decode_chunk(s.data(), s.size(), d, out.data());
  };
  auto bad = stream;
  bad[kLabelAt] = 0;  // the label must not be 0
  EXPECT_EQ(decode(bad), Status::kCorrupt);
  bad = stream;  // 300 does not fit uint8
  bad[kLabelAt] = 0xAC;
  bad.insert(bad.begin() + kLabelAt + 1, 0x02);
  EXPECT_EQ(decode(bad), Status::kCorrupt);
  bad = stream;  // level max has no two-label scan
  bad[2] = 2;
  EXPECT_EQ(decode(bad), Status::kCorrupt);
  medmask::codec::CropBox crop;
  EXPECT_EQ(medmask::codec::peek_crop(bad.data(), bad.size(), d, 1, &crop), Status::kCorrupt);
  bad = stream;  // another label decodes the same shape in it
  bad[kLabelAt] = 5;
  ASSERT_EQ(decode(bad), Status::kOk);
  EXPECT_EQ(out, shape<std::uint8_t>(d, 5));
}

TEST(CodecTwoLabels, TruncationsAndFlipsAreErrorsNotCrashes) {
  const Dims d{40, 31, 15};
  std::mt19937 rng(4);
  for (const Level level : {Level::kFast, Level::kDefault}) {
    const auto stream = medmask::codec::encode_chunk(shape<std::uint16_t>(d, 513).data(), d, level);
    ASSERT_EQ(stream[1], kModeTwoLabels);
    std::vector<std::uint16_t> out(d.nx * d.ny * d.nz);
    for (std::size_t n = 0; n < stream.size(); ++n) {
      EXPECT_NE(medmask::codec::decode_chunk(stream.data(), n, d, out.data()), Status::kOk) << n;
    }
    int errors = 0;
    for (int trial = 0; trial < 300; ++trial) {
      auto bad = stream;
      const std::size_t at = std::uniform_int_distribution<std::size_t>(0, bad.size() - 1)(rng);
      bad[at] = static_cast<std::uint8_t>(bad[at] ^ (1u << (rng() % 8)));
      const Status s = medmask::codec::decode_chunk(bad.data(), bad.size(), d, out.data());
      if (s != Status::kOk) {
        ++errors;
        continue;
      }
      // A flip the coder cannot notice still decodes 0 and one label at most, in its mode.
      if (bad[1] == kModeTwoLabels || bad[1] == kModeTwoLabelsUnprimed) {
        std::uint16_t label = 0;
        for (const std::uint16_t value : out) {
          if (value != 0 && label == 0) label = value;
          ASSERT_TRUE(value == 0 || value == label) << "trial " << trial;
        }
      }
    }
    EXPECT_GT(errors, 0);
  }
}

std::vector<std::uint8_t> recorded(const std::string& name) {
  std::ifstream file(std::string(MEDMASK_SOURCE_DIR) + "/tests/data/golden/" + name,
                     std::ios::binary);
  return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// The mode 4 and mode 6 bitstreams are frozen: streams recorded when each was introduced must
// decode to the shape, and the encoder must still write the mode 6 ones byte for byte
// (PROVENANCE.md).
TEST(CodecTwoLabels, MatchesTheRecordedStreams) {
  const Dims d{40, 31, 15};
  const auto v = shape<std::uint8_t>(d, 42);
  struct Recorded {
    Level level;
    const char* name;
    std::uint8_t mode;
  };
  for (const Recorded& r :
       {Recorded{Level::kFast, "two_labels_fast_40x31x15.cm", kModeTwoLabelsUnprimed},
        Recorded{Level::kDefault, "two_labels_default_40x31x15.cm", kModeTwoLabelsUnprimed},
        Recorded{Level::kFast, "two_labels_primed_fast_40x31x15.cm", kModeTwoLabels},
        Recorded{Level::kDefault, "two_labels_primed_default_40x31x15.cm", kModeTwoLabels}}) {
    const std::vector<std::uint8_t> stream = recorded(r.name);
    ASSERT_GT(stream.size(), 1u) << r.name;
    EXPECT_EQ(stream[1], r.mode) << r.name;
    std::vector<std::uint8_t> out(v.size(), 1);
    ASSERT_EQ(medmask::codec::decode_chunk(stream.data(), stream.size(), d, out.data()),
              Status::kOk)
        << r.name;
    EXPECT_EQ(out, v) << r.name;
    if (r.mode == kModeTwoLabels) {
      EXPECT_EQ(medmask::codec::encode_chunk(v.data(), d, r.level), stream) << r.name;
    }
  }
}

// Mode 6 differs from mode 4 only in the models' first state: the same payload read with the
// other mode's models is another (or no) volume, so a reader cannot mix them up unseen.
TEST(CodecTwoLabels, PrimedModelsAreWhatDistinguishesModeSix) {
  const Dims d{40, 31, 15};
  const auto v = shape<std::uint8_t>(d, 42);
  for (const Level level : {Level::kFast, Level::kDefault}) {
    auto stream = medmask::codec::encode_chunk(v.data(), d, level);
    ASSERT_EQ(stream[1], kModeTwoLabels);
    stream[1] = kModeTwoLabelsUnprimed;
    std::vector<std::uint8_t> out(v.size(), 0);
    const Status s = medmask::codec::decode_chunk(stream.data(), stream.size(), d, out.data());
    EXPECT_TRUE(s != Status::kOk || out != v);
  }
}

}  // namespace
