// Entries coded "medmask-cm1" (FORMAT.md 5.2): round trips at every dtype and level, z-chunk
// boundaries, and archives mixing both codings through append.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "archive_test_support.hpp"
#include "container/header.hpp"
#include "container/index_frame.hpp"
#include "container/zstd_section.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"

namespace medmask {
namespace {

using Json = nlohmann::json;
using testing::box;
using testing::oblique_space;
using testing::read_bytes;
using testing::read_index;
using testing::TempDir;

// Spheres of different labels plus sparse noise: both long runs and isolated voxels.
LabelVolume test_volume(DType dtype, const Shape3& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const std::uint32_t top = dtype == DType::kBool     ? 1
                            : dtype == DType::kUInt8  ? 255
                            : dtype == DType::kUInt16 ? 65535
                                                      : 4000000000u;
  std::uniform_int_distribution<std::uint32_t> value(1, top);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  LabelVolume volume(dtype, shape);
  for (int sphere = 0; sphere < 4; ++sphere) {
    const double cz = unit(rng) * static_cast<double>(shape[0]);
    const double cy = unit(rng) * static_cast<double>(shape[1]);
    const double cx = unit(rng) * static_cast<double>(shape[2]);
    const double r = 2.0 + unit(rng) * 6.0;
    const std::uint32_t v = value(rng);
    std::size_t i = 0;
    for (std::int64_t z = 0; z < shape[0]; ++z)
      for (std::int64_t y = 0; y < shape[1]; ++y)
        for (std::int64_t x = 0; x < shape[2]; ++x, ++i) {
          const double dz = static_cast<double>(z) - cz, dy = static_cast<double>(y) - cy,
                       dx = static_cast<double>(x) - cx;
          if (dz * dz + dy * dy + dx * dx <= r * r) volume.set(i, v);
        }
  }
  for (std::size_t i = 0; i < volume.size(); ++i) {
    if (unit(rng) < 0.01) volume.set(i, value(rng));
  }
  return volume;
}

WriteOptions cm_options(CompressionLevel level, std::uint32_t chunk_depth = 64) {
  WriteOptions options;
  options.coding = Coding::kMedmaskCm;
  options.level = level;
  options.chunk_depth = chunk_depth;
  return options;
}

TEST(ArchiveCodec, DefaultWriterUsesTheLabelCodecInTiles) {
  const WriteOptions options;
  EXPECT_EQ(options.coding, Coding::kMedmaskTiles);  // since format 1.3
  EXPECT_EQ(options.level, CompressionLevel::kDefault);
  EXPECT_EQ(options.chunk_depth, 0u);  // default_tiled_chunk_depth()
  EXPECT_EQ(options.tile_size, 0u);    // default_tile_size(level)
}

TEST(ArchiveCodec, RoundTripsEveryDtypeAndLevel) {
  TempDir dir;
  const Space space = oblique_space({23, 19, 17});
  const std::vector<std::pair<CompressionLevel, std::string>> levels{
      {CompressionLevel::kFast, "fast"},
      {CompressionLevel::kDefault, "default"},
      {CompressionLevel::kMax, "max"}};
  for (const auto& [level, level_name] : levels) {
    SCOPED_TRACE(level_name);
    const std::string path = dir.file(level_name + ".mska");
    const std::vector<DType> dtypes{DType::kBool, DType::kUInt8, DType::kUInt16, DType::kUInt32};
    std::vector<LabelVolume> volumes;
    {
      // Depth 5: chunks of 5, 5, 5 and 2 slices.
      MaskArchive archive(path, OpenMode::kWrite, space, cm_options(level, 5));
      for (std::size_t i = 0; i < dtypes.size(); ++i) {
        volumes.push_back(test_volume(dtypes[i], space.shape_zyx(), static_cast<unsigned>(i)));
        archive.add_mask(std::string(dtype_name(dtypes[i])),
                         SegmentationMask(volumes.back(), LabelTable{}, space));
      }
    }
    const MaskArchive archive(path, OpenMode::kRead);
    for (std::size_t i = 0; i < dtypes.size(); ++i) {
      const std::string name(dtype_name(dtypes[i]));
      const LabelVolume read = archive.load_mask(name).volume();
      EXPECT_EQ(read.dtype(), dtypes[i]) << name;
      EXPECT_TRUE(read.equals(volumes[i])) << name;
    }
    for (const EntryInfo& info : archive.entries()) {
      EXPECT_EQ(info.coding, Coding::kMedmaskCm);
      EXPECT_EQ(info.coding_name, "medmask-cm1");
      EXPECT_EQ(info.level, level);
      EXPECT_GT(info.stored_bytes, 0u);
    }
    const Json index = read_index(path);
    EXPECT_EQ(index["version"], Json::array({1, 3}));
    for (const Json& entry : index["entries"]) {
      EXPECT_EQ(entry["chunk_depth"], 5);
      EXPECT_EQ(entry["chunks"].size(), 4u);  // ceil(17 / 5)
      EXPECT_EQ(entry["level"], level_name);
    }
  }
}

TEST(ArchiveCodec, ChunkBoundaries) {
  TempDir dir;
  for (const std::int64_t nz : {1, 63, 64, 65, 129}) {
    SCOPED_TRACE("nz " + std::to_string(nz));
    const Space space = oblique_space({7, 6, nz});
    const std::string path = dir.file("nz.mska");
    const LabelVolume labels = test_volume(DType::kUInt16, space.shape_zyx(), 3);
    // A structure touching the first and last slice of every chunk.
    const LabelVolume across = box(space.shape_zyx(), {0, 1, 1}, {nz - 1, 3, 4});
    {
      MaskArchive archive(path, OpenMode::kWrite, space, cm_options(CompressionLevel::kDefault));
      archive.add_mask("labels", SegmentationMask(labels, LabelTable{}, space));
      archive.add_structure("across", across);
    }
    const MaskArchive archive(path, OpenMode::kRead);
    EXPECT_TRUE(archive.load_mask("labels").volume().equals(labels));
    EXPECT_TRUE(archive.read_structure("across").equals(across));
    const std::size_t expected_chunks = static_cast<std::size_t>((nz + 63) / 64);
    const Json index = read_index(path);
    for (const Json& entry : index["entries"]) {
      EXPECT_EQ(entry["chunks"].size(), expected_chunks);
      EXPECT_EQ(entry["chunk_depth"], 64);
    }
  }
}

// load_mask decodes chunks into zero pages writing only crop boxes: structures in chunk 2 only,
// across chunks 1-3, and none, each read back exactly; a flipped byte in a chunk without voxels is
// reported too.
TEST(ArchiveCodec, LoadMaskIntoZeroPagesIsExactAndChecked) {
  TempDir dir;
  const Space space = oblique_space({7, 6, 8});  // arrays (8, 6, 7): chunks of 2 slices, 4 chunks
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("sparse.mska");
  const LabelVolume sparse = box(shape, {4, 1, 2}, {5, 3, 4});  // slices 4-5: chunk 2 only
  LabelVolume across = box(shape, {3, 0, 0}, {7, 0, 6}).converted(DType::kUInt8);  // chunks 1-3
  across.set(static_cast<std::size_t>((5 * shape[1] + 4) * shape[2] + 3), 2);
  LabelTable one;
  one.add("dot", 1);
  LabelTable two;
  two.add("row", 1);
  two.add("speck", 2);
  LabelTable other;
  other.add("nothing", 1);
  {
    MaskArchive archive(path, OpenMode::kWrite, space, cm_options(CompressionLevel::kDefault, 2));
    archive.add_mask("sparse", SegmentationMask(sparse, one, space));
    archive.add_mask("across", SegmentationMask(across, two, space));
    archive.add_mask("empty", SegmentationMask(LabelVolume(DType::kUInt8, shape), other, space));
  }
  const Json index = read_index(path);
  const Json& entry = index["entries"][0];
  ASSERT_EQ(entry["name"], "sparse");
  ASSERT_EQ(entry["chunks"].size(), 4u);
  const auto chunk_byte = [&](std::size_t k) {
    return entry["offset"].get<std::size_t>() + entry["chunks"][k]["offset"].get<std::size_t>();
  };
  const std::vector<std::uint8_t> valid = read_bytes(path);
  {
    const MaskArchive archive(path, OpenMode::kRead);
    EXPECT_TRUE(archive.load_mask("sparse").volume().equals(sparse));
    EXPECT_TRUE(archive.load_mask("across").volume().equals(across));
    EXPECT_TRUE(archive.load_mask("empty").volume().equals(LabelVolume(DType::kUInt8, shape)));
  }
  for (const std::size_t k : {0u, 2u}) {
    std::vector<std::uint8_t> bytes = valid;
    bytes[chunk_byte(k)] ^= 0x40;
    testing::write_bytes(path, bytes);
    const MaskArchive archive(path, OpenMode::kRead);
    EXPECT_THROW(archive.load_mask("sparse"), FormatError) << "chunk " << k;
    EXPECT_TRUE(archive.load_mask("across").volume().equals(across));
  }
}

// commit_provisional (medmask 0.1.x's write-through) leaves a complete file whose index is
// compressed fast; the next commit rewrites the index at the configured level though nothing else
// changed, and a commit after that is a no-op.
TEST(ArchiveCodec, CommitProvisionalThenCommitRecompressesTheIndex) {
  TempDir dir;
  const Space space = oblique_space({12, 10, 9});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("provisional.mska");
  MaskArchive archive(path, OpenMode::kWrite, space);
  for (int i = 0; i < 40; ++i) {
    LabelTable labels;
    labels.add("structure_" + std::to_string(i), 1);
    const std::int64_t z = i % shape[0];
    archive.add_mask("entry_" + std::to_string(i),
                     SegmentationMask(box(shape, {z, 1, 1}, {z, 3, 4}), labels, space));
    archive.commit_provisional();
  }
  const std::vector<std::uint8_t> provisional = read_bytes(path);
  {
    const MaskArchive read(path, OpenMode::kRead);
    EXPECT_EQ(read.entry_names().size(), 40u);
    EXPECT_TRUE(read.load_mask("entry_39").volume().equals(box(shape, {3, 1, 1}, {3, 3, 4})));
  }
  archive.commit();
  const std::vector<std::uint8_t> full = read_bytes(path);
  EXPECT_LT(full.size(), provisional.size());  // the same index at zstd level 19
  {
    const MaskArchive read(path, OpenMode::kRead);
    EXPECT_EQ(read.entry_names().size(), 40u);
    EXPECT_TRUE(read.load_mask("entry_39").volume().equals(box(shape, {3, 1, 1}, {3, 3, 4})));
  }
  archive.commit();
  EXPECT_EQ(read_bytes(path), full);
}

TEST(ArchiveCodec, AppendMixesCodingsAndCopiesSectionsVerbatim) {
  TempDir dir;
  const Space space = oblique_space({12, 10, 9});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("mixed.mska");
  const LabelVolume first = test_volume(DType::kUInt8, shape, 1);
  const LabelVolume a = box(shape, {1, 1, 1}, {4, 5, 6});
  const LabelVolume b = box(shape, {2, 2, 2}, {8, 9, 7});  // overlaps a: a second layer
  WriteOptions zstd;
  zstd.coding = Coding::kZstd;
  {
    MaskArchive archive(path, OpenMode::kWrite, space, zstd);
    archive.add_mask("first", SegmentationMask(first, LabelTable{}, space));
    archive.add_structure("a", a);
  }
  const std::vector<std::uint8_t> before = read_bytes(path);
  const Json old_index = read_index(path);
  {
    MaskArchive archive(path, OpenMode::kAppend, std::nullopt,
                        cm_options(CompressionLevel::kMax, 4));
    archive.add_mask("second", SegmentationMask(first, LabelTable{}, space));
    archive.add_structure("b", b);  // a new layer; layer0 stays as it was
  }
  const std::vector<std::uint8_t> after = read_bytes(path);
  const Json index = read_index(path);
  ASSERT_EQ(index["entries"].size(), 4u);
  for (std::size_t i = 0; i < 2; ++i) {
    const Json& old_entry = old_index["entries"][i];
    const Json& entry = index["entries"][i];
    EXPECT_EQ(entry["coding"], "zstd");
    EXPECT_EQ(entry["xxh3"], old_entry["xxh3"]);
    const auto old_offset = old_entry["offset"].get<std::size_t>();
    const auto offset = entry["offset"].get<std::size_t>();
    const auto length = entry["length"].get<std::size_t>();
    ASSERT_EQ(length, old_entry["length"].get<std::size_t>());
    EXPECT_TRUE(std::equal(before.begin() + static_cast<long>(old_offset),
                           before.begin() + static_cast<long>(old_offset + length),
                           after.begin() + static_cast<long>(offset)));
  }
  EXPECT_EQ(index["entries"][2]["coding"], "medmask-cm1");
  EXPECT_EQ(index["entries"][3]["coding"], "medmask-cm1");
  EXPECT_EQ(index["entries"][3]["chunks"].size(), 3u);  // ceil(9 / 4)

  // Appending again copies the medmask-cm1 sections verbatim too (chunk offsets are relative).
  {
    MaskArchive archive(path, OpenMode::kAppend, std::nullopt, zstd);
    archive.add_mask("third", SegmentationMask(a, LabelTable{}, space));
  }
  const Json last = read_index(path);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(last["entries"][i]["xxh3"], index["entries"][i]["xxh3"]);
    EXPECT_EQ(last["entries"][i].value("chunks", Json()),
              index["entries"][i].value("chunks", Json()));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.load_mask("first").volume().equals(first));
  EXPECT_TRUE(archive.load_mask("second").volume().equals(first));
  EXPECT_TRUE(archive.read_structure("a").equals(a));
  EXPECT_TRUE(archive.read_structure("b").equals(b));
  EXPECT_EQ(archive.load_mask("third").volume().dtype(), DType::kBool);
  EXPECT_TRUE(archive.load_mask("third").volume().equals(a));
  const std::vector<EntryInfo> infos = archive.entries();
  ASSERT_EQ(infos.size(), 5u);
  EXPECT_EQ(infos[0].coding, Coding::kZstd);
  EXPECT_EQ(infos[0].level, std::nullopt);
  EXPECT_EQ(infos[2].coding, Coding::kMedmaskCm);
  EXPECT_EQ(infos[2].level, CompressionLevel::kMax);
  EXPECT_EQ(infos[4].coding, Coding::kZstd);
}

// One spelling of codings and levels: the index's, and the CLI and Python use the same functions.
TEST(ArchiveCodec, CodingAndLevelNamesRoundTrip) {
  for (const Coding coding : {Coding::kZstd, Coding::kMedmaskCm, Coding::kMedmaskTiles}) {
    EXPECT_EQ(coding_from_name(coding_name(coding)), coding) << coding_name(coding);
  }
  EXPECT_EQ(coding_name(Coding::kMedmaskTiles), "medmask-cm1-tiles");
  EXPECT_EQ(coding_from_name("medmask-cm2"), std::nullopt);
  for (const CompressionLevel level :
       {CompressionLevel::kFast, CompressionLevel::kDefault, CompressionLevel::kMax}) {
    EXPECT_EQ(compression_level_from_name(compression_level_name(level)), level);
  }
  EXPECT_EQ(compression_level_name(CompressionLevel::kFast), "fast");
  EXPECT_EQ(compression_level_name(CompressionLevel::kDefault), "default");
  EXPECT_EQ(compression_level_name(CompressionLevel::kMax), "max");
  EXPECT_EQ(compression_level_from_name("ultra"), std::nullopt);
  EXPECT_EQ(compression_level_from_name("Max"), std::nullopt);
}

TEST(ArchiveCodec, ChunkDepthZeroTakesTheLevelsDefault) {
  TempDir dir;
  const Space space = oblique_space({6, 5, 70});
  const LabelVolume across = box(space.shape_zyx(), {0, 1, 1}, {69, 3, 4});
  for (const auto& [level, depth] :
       {std::pair{CompressionLevel::kFast, 24}, std::pair{CompressionLevel::kDefault, 64},
        std::pair{CompressionLevel::kMax, 64}}) {
    const std::string path = dir.file("depth.mska");
    {
      MaskArchive archive(path, OpenMode::kWrite, space, cm_options(level, 0));
      archive.add_structure("across", across);
    }
    EXPECT_TRUE(MaskArchive(path, OpenMode::kRead).read_structure("across").equals(across));
    const Json entry = read_index(path)["entries"][0];
    EXPECT_EQ(entry["chunk_depth"], depth);
    EXPECT_EQ(entry["chunks"].size(), static_cast<std::size_t>((70 + depth - 1) / depth));
  }
}

}  // namespace
}  // namespace medmask
