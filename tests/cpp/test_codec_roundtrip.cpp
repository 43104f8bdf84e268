// Round-trip and robustness tests of the label codec (src/codec). Expected volumes are built by
// construction; every decode is compared with the original voxels.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <vector>

#include "codec/label_codec.hpp"
#include "codec/reused_models.hpp"

namespace {

using medmask::codec::Dims;
using medmask::codec::Level;
using medmask::codec::Status;

constexpr Level kLevels[] = {Level::kFast, Level::kDefault, Level::kMax};

std::size_t count(Dims d) { return d.nx * d.ny * d.nz; }

// The crop box holds every non-zero voxel, and decode_crop gives exactly the voxels inside it.
template <class T>
void expect_crop_matches(const std::vector<std::uint8_t>& stream, const std::vector<T>& v, Dims d) {
  medmask::codec::CropBox crop;
  ASSERT_EQ(medmask::codec::peek_crop(stream.data(), stream.size(), d, sizeof(T), &crop),
            Status::kOk);
  const auto inside = [&](std::size_t x, std::size_t y, std::size_t z) {
    return !crop.empty && x >= crop.x0 && x < crop.x0 + crop.dims.nx && y >= crop.y0 &&
           y < crop.y0 + crop.dims.ny && z >= crop.z0 && z < crop.z0 + crop.dims.nz;
  };
  std::vector<T> out(crop.empty ? 0 : count(crop.dims), T{0});
  if (!crop.empty) {
    ASSERT_EQ(medmask::codec::decode_crop(stream.data(), stream.size(), d, out.data()),
              Status::kOk);
  }
  for (std::size_t z = 0; z < d.nz; ++z) {
    for (std::size_t y = 0; y < d.ny; ++y) {
      for (std::size_t x = 0; x < d.nx; ++x) {
        const T want = v[(z * d.ny + y) * d.nx + x];
        if (!inside(x, y, z)) {
          ASSERT_EQ(want, T{0}) << "non-zero voxel outside the crop box at " << x << "," << y;
          continue;
        }
        const std::size_t at =
            ((z - crop.z0) * crop.dims.ny + (y - crop.y0)) * crop.dims.nx + (x - crop.x0);
        ASSERT_EQ(out[at], want) << "crop voxel " << x << "," << y << "," << z;
      }
    }
  }
}

template <class T>
void expect_round_trip(const std::vector<T>& v, Dims d, Level level) {
  const auto stream = medmask::codec::encode_chunk(v.data(), d, level);
  std::vector<T> out(count(d), T{1});
  ASSERT_EQ(medmask::codec::decode_chunk(stream.data(), stream.size(), d, out.data()), Status::kOk);
  EXPECT_EQ(out, v);
  Level seen = Level::kFast;
  ASSERT_EQ(medmask::codec::peek_chunk_level(stream.data(), stream.size(), &seen), Status::kOk);
  EXPECT_EQ(seen, level);
  expect_crop_matches(stream, v, d);
}

// Nested ellipsoids with `labels` distinct values starting at `base`, plus a few isolated voxels.
template <class T>
std::vector<T> blobs(Dims d, int labels, std::uint64_t base, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<T> v(count(d), T{0});
  for (int i = 0; i < labels; ++i) {
    const double cx = std::uniform_real_distribution<double>(0, static_cast<double>(d.nx))(rng);
    const double cy = std::uniform_real_distribution<double>(0, static_cast<double>(d.ny))(rng);
    const double cz = std::uniform_real_distribution<double>(0, static_cast<double>(d.nz))(rng);
    const double r = std::uniform_real_distribution<double>(1, 8)(rng);
    const T label = static_cast<T>(base + static_cast<std::uint64_t>(i));
    for (std::size_t z = 0; z < d.nz; ++z) {
      for (std::size_t y = 0; y < d.ny; ++y) {
        for (std::size_t x = 0; x < d.nx; ++x) {
          const double dx = static_cast<double>(x) - cx, dy = static_cast<double>(y) - cy,
                       dz = static_cast<double>(z) - cz;
          if (dx * dx + dy * dy + 2 * dz * dz <= r * r) v[(z * d.ny + y) * d.nx + x] = label;
        }
      }
    }
  }
  for (int i = 0; i < 5 && !v.empty(); ++i) {
    v[std::uniform_int_distribution<std::size_t>(0, v.size() - 1)(rng)] = static_cast<T>(base + 99);
  }
  return v;
}

TEST(CodecRoundTrip, StructuredAllDtypesAllLevels) {
  const Dims d{37, 29, 23};
  for (const Level level : kLevels) {
    expect_round_trip(blobs<std::uint8_t>(d, 12, 1, 1), d, level);
    expect_round_trip(blobs<std::uint16_t>(d, 30, 1000, 2), d, level);
    expect_round_trip(blobs<std::uint32_t>(d, 30, 4000000000u, 3), d, level);
  }
}

TEST(CodecRoundTrip, RandomNoiseIsBoundedAndExact) {
  const Dims d{31, 17, 9};
  std::mt19937 rng(5);
  for (const Level level : kLevels) {
    std::vector<std::uint32_t> v(count(d));
    for (auto& x : v) x = static_cast<std::uint32_t>(rng());
    const auto stream = medmask::codec::encode_chunk(v.data(), d, level);
    EXPECT_LE(stream.size(), v.size() * 4 + 32);  // stored fallback
    expect_round_trip(v, d, level);
    std::vector<std::uint8_t> b(count(d));
    for (auto& x : b) x = static_cast<std::uint8_t>(rng() & 1u);
    const auto sb = medmask::codec::encode_chunk(b.data(), d, level);
    EXPECT_LE(sb.size(), b.size() + 32);
    expect_round_trip(b, d, level);
  }
}

TEST(CodecRoundTrip, EmptyFullAndOneVoxel) {
  for (const Level level : kLevels) {
    const Dims d{16, 8, 5};
    expect_round_trip(std::vector<std::uint8_t>(count(d), 0), d, level);
    expect_round_trip(std::vector<std::uint8_t>(count(d), 255), d, level);
    expect_round_trip(std::vector<std::uint16_t>(count(d), 65535), d, level);
    const Dims one{1, 1, 1};
    expect_round_trip(std::vector<std::uint8_t>{0}, one, level);
    expect_round_trip(std::vector<std::uint8_t>{9}, one, level);
    expect_round_trip(std::vector<std::uint32_t>{std::numeric_limits<std::uint32_t>::max()}, one,
                      level);
    const Dims none{4, 0, 3};
    expect_round_trip(std::vector<std::uint8_t>{}, none, level);
  }
  // An empty chunk costs only its header.
  const Dims d{64, 64, 64};
  const std::vector<std::uint8_t> zeros(count(d), 0);
  EXPECT_LE(medmask::codec::encode_chunk(zeros.data(), d, Level::kDefault).size(), 16u);
}

TEST(CodecRoundTrip, LargestLabelsAndManyLabels) {
  const Dims d{20, 20, 6};
  std::vector<std::uint32_t> v(count(d), 0);
  for (std::size_t i = 0; i < v.size(); ++i) {
    v[i] = (i / 7) % 3 == 0 ? std::numeric_limits<std::uint32_t>::max()
                            : static_cast<std::uint32_t>(i / 11);
  }
  for (const Level level : kLevels) expect_round_trip(v, d, level);
  std::vector<std::uint16_t> w(count(d));
  for (std::size_t i = 0; i < w.size(); ++i)
    w[i] = static_cast<std::uint16_t>(1000 + (i / 3) % 700);
  for (const Level level : kLevels) expect_round_trip(w, d, level);
}

TEST(CodecRoundTrip, ThinLinesAndSingleVoxelTips) {
  const Dims d{50, 40, 30};
  std::vector<std::uint8_t> v(count(d), 0);
  for (std::size_t z = 0; z < d.nz; ++z) {
    v[(z * d.ny + (z % d.ny)) * d.nx + (3 * z) % d.nx] = 1;         // diagonal line
    v[(z * d.ny + 20) * d.nx + 25] = 2;                             // straight line
    if (z % 5 == 0) v[(z * d.ny + 5) * d.nx + (7 * z) % d.nx] = 3;  // isolated voxels
  }
  for (const Level level : kLevels) expect_round_trip(v, d, level);
}

// Each thread count runs a different level, so every level crosses chunk boundaries.
TEST(CodecChunks, BoundariesAndThreads) {
  const Dims d{23, 19, 0};
  for (const std::size_t nz : {1u, 15u, 16u, 17u, 33u}) {
    const Dims dz{d.nx, d.ny, nz};
    const auto v = blobs<std::uint16_t>(dz, 9, 1, static_cast<unsigned>(nz));
    for (const std::size_t depth : {1u, 16u, 64u}) {
      for (const unsigned threads : {1u, 2u, 3u}) {
        const auto chunks =
            medmask::codec::encode_chunks(v.data(), dz, depth, kLevels[threads - 1], threads);
        ASSERT_EQ(chunks.size(), (nz + depth - 1) / depth);
        std::vector<std::span<const std::uint8_t>> spans(chunks.begin(), chunks.end());
        std::vector<std::uint16_t> out(count(dz), 7);
        ASSERT_EQ(medmask::codec::decode_chunks(spans, dz, depth, out.data(), threads),
                  Status::kOk);
        EXPECT_EQ(out, v);
        // A single chunk decodes alone into its own slab (z-range access).
        if (chunks.size() > 1) {
          const std::size_t slab = std::min(depth, nz - depth);
          std::vector<std::uint16_t> part(d.nx * d.ny * slab);
          ASSERT_EQ(medmask::codec::decode_chunk(chunks[1].data(), chunks[1].size(),
                                                 Dims{d.nx, d.ny, slab}, part.data()),
                    Status::kOk);
          EXPECT_TRUE(std::equal(part.begin(), part.end(),
                                 v.begin() + static_cast<std::ptrdiff_t>(depth * d.nx * d.ny)));
        }
      }
    }
  }
}

// Max level with chunk boundaries cutting through many structures: every chunk's first slice is
// coded without a previous slice (the first-slice contexts), and each chunk decodes alone.
TEST(CodecChunks, MaxLevelFirstSlicesInsideStructures) {
  const Dims d{61, 47, 40};
  const auto v = blobs<std::uint8_t>(d, 40, 1, 11u);
  for (const std::size_t depth : {1u, 3u, 8u}) {
    const auto chunks = medmask::codec::encode_chunks(v.data(), d, depth, Level::kMax, 2);
    ASSERT_EQ(chunks.size(), (d.nz + depth - 1) / depth);
    std::vector<std::span<const std::uint8_t>> spans(chunks.begin(), chunks.end());
    std::vector<std::uint8_t> out(count(d), 3);
    ASSERT_EQ(medmask::codec::decode_chunks(spans, d, depth, out.data(), 1), Status::kOk);
    EXPECT_EQ(out, v);
    const std::size_t last = chunks.size() - 1;
    const std::size_t slab = d.nz - last * depth;
    std::vector<std::uint8_t> part(d.nx * d.ny * slab);
    ASSERT_EQ(medmask::codec::decode_chunk(chunks[last].data(), chunks[last].size(),
                                           Dims{d.nx, d.ny, slab}, part.data()),
              Status::kOk);
    EXPECT_TRUE(std::equal(part.begin(), part.end(),
                           v.begin() + static_cast<std::ptrdiff_t>(last * depth * d.nx * d.ny)));
  }
}

// The model never looks at the dtype: the same labels as uint8, uint16 and uint32 give the same
// payload (only the width byte differs), which checks the uint8 word-at-a-time neighbour matching
// against the one-by-one comparison of the wider types.
TEST(CodecRoundTrip, PayloadDoesNotDependOnDtype) {
  const Dims d{41, 33, 19};
  const auto v8 = blobs<std::uint8_t>(d, 40, 1, 21);
  const std::vector<std::uint16_t> v16(v8.begin(), v8.end());
  const std::vector<std::uint32_t> v32(v8.begin(), v8.end());
  for (const Level level : kLevels) {
    auto s8 = medmask::codec::encode_chunk(v8.data(), d, level);
    auto s16 = medmask::codec::encode_chunk(v16.data(), d, level);
    auto s32 = medmask::codec::encode_chunk(v32.data(), d, level);
    ASSERT_EQ(s8.size(), s16.size());
    ASSERT_EQ(s8.size(), s32.size());
    ASSERT_EQ(s8[3], 1);  // width byte
    s16[3] = s32[3] = 1;
    EXPECT_EQ(s8, s16);
    EXPECT_EQ(s8, s32);
  }
}

// Hundreds of labels in thin z-chunks: every chunk starts with an empty palette, so labels are
// escaped again in each; wide label values exercise the escape's bit counts.
TEST(CodecChunks, ManyLabelsEscapedInEveryChunkAtEveryLevel) {
  const Dims d{48, 40, 23};
  const auto v16 = blobs<std::uint16_t>(d, 300, 60000, 8);  // wraps past 65535 to small labels
  const auto v32 = blobs<std::uint32_t>(d, 300, 4294967000u, 9);
  for (const Level level : kLevels) {
    for (const std::size_t depth : {1u, 5u, 64u}) {
      const auto c16 = medmask::codec::encode_chunks(v16.data(), d, depth, level, 2);
      std::vector<std::span<const std::uint8_t>> s16(c16.begin(), c16.end());
      std::vector<std::uint16_t> o16(count(d), 3);
      ASSERT_EQ(medmask::codec::decode_chunks(s16, d, depth, o16.data(), 2), Status::kOk);
      EXPECT_EQ(o16, v16);
      const auto c32 = medmask::codec::encode_chunks(v32.data(), d, depth, level, 2);
      std::vector<std::span<const std::uint8_t>> s32(c32.begin(), c32.end());
      std::vector<std::uint32_t> o32(count(d), 3);
      ASSERT_EQ(medmask::codec::decode_chunks(s32, d, depth, o32.data(), 2), Status::kOk);
      EXPECT_EQ(o32, v32);
    }
  }
}

TEST(CodecChunks, WrongChunkCountIsAnError) {
  const Dims d{4, 4, 10};
  std::vector<std::uint8_t> v(count(d), 1);
  auto chunks = medmask::codec::encode_chunks(v.data(), d, 4, Level::kFast, 1);
  std::vector<std::span<const std::uint8_t>> spans(chunks.begin(), chunks.end());
  spans.pop_back();
  std::vector<std::uint8_t> out(count(d));
  EXPECT_EQ(medmask::codec::decode_chunks(spans, d, 4, out.data(), 1), Status::kBadArgument);
  EXPECT_EQ(medmask::codec::decode_chunks(spans, d, 0, out.data(), 1), Status::kBadArgument);
}

}  // namespace

namespace {

// The default and max levels reuse their model tables between chunks on a thread: a chunk's
// stream must not depend on what the thread coded before, at any level (the two levels share the
// candidate table's slot at different sizes).
TEST(CodecReuse, AStreamDoesNotDependOnTheChunksCodedBefore) {
  const Dims d{40, 36, 12};
  const auto a = blobs<std::uint8_t>(d, 12, 1, 21);
  const auto b = blobs<std::uint8_t>(d, 30, 5, 22);
  for (const Level level : {Level::kDefault, Level::kMax}) {
    SCOPED_TRACE(static_cast<int>(level));
    const Level other_level = level == Level::kMax ? Level::kDefault : Level::kMax;
    const auto first = medmask::codec::encode_chunk(a.data(), d, level);
    (void)medmask::codec::encode_chunk(b.data(), d, level);
    EXPECT_EQ(medmask::codec::encode_chunk(a.data(), d, level), first);
    (void)medmask::codec::encode_chunk(b.data(), d, other_level);
    EXPECT_EQ(medmask::codec::encode_chunk(a.data(), d, level), first);
    std::vector<std::uint8_t> out(count(d));
    const auto other = medmask::codec::encode_chunk(b.data(), d, level);
    ASSERT_EQ(medmask::codec::decode_chunk(other.data(), other.size(), d, out.data()), Status::kOk);
    ASSERT_EQ(medmask::codec::decode_chunk(first.data(), first.size(), d, out.data()), Status::kOk);
    EXPECT_EQ(out, a);
  }
}

TEST(CodecReuse, ATableIsResetWhereUsedAndASecondLeaseGetsItsOwn) {
  using medmask::codec::ReusedModels;
  const medmask::codec::BitModel fresh{};
  const medmask::codec::BitModel* kept = nullptr;
  {
    ReusedModels first(1024);
    kept = &first[0];
    first.first_use(5);
    first[5].p = 100;
    first[5].n = 3;
    ReusedModels second(1024);  // the thread's table is taken: a table of its own
    EXPECT_NE(&second[0], kept);
    EXPECT_EQ(second[5].p, fresh.p);
    EXPECT_EQ(second[5].n, fresh.n);
  }
  ReusedModels again(512);
  EXPECT_EQ(&again[0], kept);  // the thread's table, reused (a larger one serves a smaller)
  EXPECT_EQ(again[5].p, fresh.p);
  EXPECT_EQ(again[5].n, fresh.n);
  ReusedModels other_slot(1024, 3);  // another table of the same coder: another spare
  EXPECT_NE(&other_slot[0], kept);
}

}  // namespace
