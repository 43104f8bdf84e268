// Entries coded "medmask-cm1-tiles" (FORMAT.md 4.3.2, 5.3): every tile round-trips at every dtype
// and tile boundary; a request decodes only the tiles it meets, so a corrupt tile elsewhere is
// never read, and one inside fails with a FormatError naming it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>

#include "archive_test_support.hpp"
#include "codec/tiling.hpp"
#include "container/header.hpp"
#include "container/index_frame.hpp"
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
using testing::write_bytes;

WriteOptions tiles_options(std::uint32_t depth, std::uint32_t tile_size,
                           CompressionLevel level = CompressionLevel::kDefault) {
  WriteOptions options;
  options.coding = Coding::kMedmaskTiles;
  options.level = level;
  options.chunk_depth = depth;
  options.tile_size = tile_size;
  options.layer_per_structure = false;  // structures share layers, so tiles hold several
  return options;
}

// Random labels in random boxes: every tile holds something different, some tiles nothing.
LabelVolume random_labels(DType dtype, const Shape3& shape, std::uint32_t seed) {
  std::mt19937 rng(seed);
  const std::uint32_t top = dtype == DType::kBool     ? 1
                            : dtype == DType::kUInt8  ? 255
                            : dtype == DType::kUInt16 ? 65535
                                                      : 4000000000u;
  std::uniform_int_distribution<std::uint32_t> value(1, top);
  LabelVolume volume(dtype, shape);
  for (int b = 0; b < 6; ++b) {
    Shape3 lo{}, hi{};
    for (std::size_t a = 0; a < 3; ++a) {
      std::uniform_int_distribution<std::int64_t> at(0, shape[a] - 1);
      lo[a] = at(rng);
      hi[a] = std::min(shape[a] - 1, lo[a] + at(rng) / 2);
    }
    const std::uint32_t v = value(rng);
    for (std::int64_t z = lo[0]; z <= hi[0]; ++z)
      for (std::int64_t y = lo[1]; y <= hi[1]; ++y)
        for (std::int64_t x = lo[2]; x <= hi[2]; ++x)
          volume.set(static_cast<std::size_t>((z * shape[1] + y) * shape[2] + x), v);
  }
  return volume;
}

TEST(ArchiveTiles, EveryTileRoundTripsAtEveryDtypeAndLevel) {
  TempDir dir;
  const Space space = oblique_space({23, 19, 17});  // (z, y, x) = (17, 19, 23)
  for (const CompressionLevel level :
       {CompressionLevel::kFast, CompressionLevel::kDefault, CompressionLevel::kMax}) {
    const std::string path = dir.file("tiles.mska");
    const std::vector<DType> dtypes{DType::kBool, DType::kUInt8, DType::kUInt16, DType::kUInt32};
    std::vector<LabelVolume> volumes;
    {
      MaskArchive archive(path, OpenMode::kWrite, space, tiles_options(5, 8, level));
      for (std::size_t i = 0; i < dtypes.size(); ++i) {
        volumes.push_back(random_labels(dtypes[i], space.shape_zyx(), static_cast<unsigned>(i)));
        archive.add_mask(std::string(dtype_name(dtypes[i])),
                         SegmentationMask(volumes.back(), LabelTable{}, space));
      }
    }
    const MaskArchive archive(path, OpenMode::kRead);
    for (std::size_t i = 0; i < dtypes.size(); ++i) {
      const std::string name(dtype_name(dtypes[i]));
      EXPECT_TRUE(archive.load_mask(name).volume().equals(volumes[i])) << name;
    }
    const Json index = read_index(path);
    for (const Json& entry : index["entries"]) {
      EXPECT_EQ(entry["coding"], "medmask-cm1-tiles");
      EXPECT_EQ(entry["chunk_depth"], 5);
      // 19 rows in tiles of at most 8: 3 tiles of 7; 23 columns: 3 tiles of 8.
      EXPECT_EQ(entry["tile_yx"], Json::array({7, 8}));
      EXPECT_EQ(entry["tiles"].size(), 4u * 3u * 3u);
    }
  }
}

// Structures across tile and chunk boundaries (+-1): masks, z-ranges, labels_at and overlaps
// agree with the masks as given, whatever the tiles a request meets.
TEST(ArchiveTiles, StructuresAcrossTileBoundaries) {
  TempDir dir;
  const Space space = oblique_space({21, 14, 12});  // (z, y, x) = (12, 14, 21)
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("across.mska");
  // Tiles of 4 slices, 7 rows, 7 columns: boundaries at z 4, 8; y 7; x 7, 14.
  const std::vector<std::pair<std::string, LabelVolume>> structures{
      {"corner", box(shape, {0, 0, 0}, {0, 0, 0})},
      {"cross", box(shape, {3, 6, 6}, {4, 7, 7})},
      {"slab", box(shape, {5, 0, 0}, {7, 13, 20})},
      {"column", box(shape, {0, 6, 13}, {11, 8, 15})},
      {"last", box(shape, {11, 13, 20}, {11, 13, 20})},
      {"inside", box(shape, {8, 8, 8}, {10, 12, 12})}};
  {
    MaskArchive archive(path, OpenMode::kWrite, space, tiles_options(4, 7));
    for (const auto& [name, mask] : structures) archive.add_structure(name, mask);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  for (const auto& [name, mask] : structures) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(archive.read_structure(name).equals(mask));
    for (const ZRange range : {ZRange{3, 5}, ZRange{4, 8}, ZRange{7, 12}, ZRange{11, 12}}) {
      const std::string names[] = {name};
      const LabelVolume part = archive.read_structures(names, range);
      const std::size_t slice = static_cast<std::size_t>(shape[1] * shape[2]);
      for (std::size_t i = 0; i < part.size(); ++i) {
        ASSERT_EQ(part.get(i), mask.get(static_cast<std::size_t>(range.begin) * slice + i))
            << "range " << range.begin << ".." << range.end << " voxel " << i;
      }
    }
  }
  for (const auto& [z, y, x] : std::vector<Shape3>{
           {3, 7, 7}, {4, 6, 6}, {6, 13, 20}, {11, 13, 20}, {0, 0, 0}, {9, 7, 14}}) {
    const auto index = static_cast<std::size_t>((z * shape[1] + y) * shape[2] + x);
    std::vector<std::string> expected;
    for (const auto& [name, mask] : structures) {
      if (mask.get(index) != 0) expected.push_back(name);
    }
    auto found = archive.labels_at(z, y, x);
    std::sort(found.begin(), found.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(found, expected) << z << " " << y << " " << x;
  }
  std::uint64_t shared = 0;  // column meets slab in z 5..7, y 6..8, x 13..15
  for (const Overlap& o : archive.overlapping("column")) {
    if (o.name == "slab") shared = o.voxels;
  }
  EXPECT_EQ(shared, 3u * 3u * 3u);
  EXPECT_TRUE(read_index(path)["entries"][0]["tiles"].size() == 3u * 2u * 3u);
}

// A shared layer of fewer than 4,096 voxels (where two structures overlap) is cut as a layer per
// structure, one stream over whole slices, unless it is coded against a reference or the caller
// set the tiles; a larger one keeps the default tiles.
TEST(ArchiveTiles, ALayerOfAFewVoxelsIsOneStream) {
  TempDir dir;
  const Space space = oblique_space({256, 256, 40});  // (z, y, x) = (40, 256, 256)
  const Shape3 shape = space.shape_zyx();
  const auto write = [&](const std::string& path, Shape3 overlap_hi, WriteOptions options) {
    // "b" shares with "a" the box from (10, 118, 118) to overlap_hi, across the tile boundaries at
    // y and x 128; the shared voxels go into a second layer.
    const std::vector<std::pair<std::string, LabelVolume>> structures{
        {"a", box(shape, {5, 20, 20}, overlap_hi)},
        {"b", box(shape, {10, 118, 118}, {30, 200, 250})}};
    {
      MaskArchive archive(path, OpenMode::kWrite, space, testing::shared_layers(options));
      for (const auto& [name, mask] : structures) archive.add_structure(name, mask);
    }
    const MaskArchive archive(path, OpenMode::kRead);
    for (const auto& [name, mask] : structures) {
      EXPECT_TRUE(archive.read_structure(name).equals(mask)) << name;
    }
    const Json index = read_index(path);
    EXPECT_EQ(index["entries"].size(), 2u);
    return index["entries"][1];
  };
  for (const CompressionLevel level : {CompressionLevel::kFast, CompressionLevel::kMax}) {
    WriteOptions options;
    options.level = level;
    const Json few = write(dir.file("few.mska"), {14, 137, 137}, options);  // 5 x 20 x 20
    EXPECT_EQ(few["tile_yx"], Json::array({256, 256}));
    EXPECT_EQ(few["chunk_depth"], 40);
    EXPECT_EQ(few["tiles"].size(), 1u);
    const Json more = write(dir.file("more.mska"), {25, 137, 137}, options);  // 16 x 20 x 20
    EXPECT_EQ(more["tile_yx"], Json::array({128, 128}));
    options.tile_size = 100;
    const Json asked = write(dir.file("asked.mska"), {14, 137, 137}, options);
    EXPECT_EQ(asked["tile_yx"], Json::array({86, 86}));
  }
}

// Two structures in different tiles of one layer: a corrupt byte in the tile of one leaves the
// other readable, and reading the corrupt one fails with a FormatError naming its tile.
TEST(ArchiveTiles, CorruptTileOutsideARequestIsNotTouched) {
  TempDir dir;
  const Space space = oblique_space({16, 16, 16});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("tiles.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space, tiles_options(8, 8));
    archive.add_structure("low", box(shape, {1, 1, 1}, {6, 6, 6}));
    archive.add_structure("high", box(shape, {0, 9, 9}, {15, 14, 14}));
  }
  const Json entry = read_index(path)["entries"][0];
  ASSERT_EQ(entry["tiles"].size(), 8u);
  // Tile (kz, ky, kx) = (1, 1, 1) holds only "high"; its bytes start after the stored tiles before.
  const std::size_t corrupt = 7;
  std::size_t offset = entry["offset"].get<std::size_t>();
  for (std::size_t k = 0; k < corrupt; ++k) {
    if (entry["tiles"][k].is_array()) offset += entry["tiles"][k][0].get<std::size_t>();
  }
  ASSERT_TRUE(entry["tiles"][corrupt].is_array());
  std::vector<std::uint8_t> bytes = read_bytes(path);
  bytes[offset + entry["tiles"][corrupt][0].get<std::size_t>() - 1] ^= 0x10;
  write_bytes(path, bytes);

  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("low").equals(box(shape, {1, 1, 1}, {6, 6, 6})));
  const std::string high[] = {"high"};
  // Slices 0..7 of "high" lie in tile 3, intact.
  EXPECT_TRUE(
      archive.read_structures(high, ZRange{0, 8}).equals(box({8, 16, 16}, {0, 9, 9}, {7, 14, 14})));
  EXPECT_EQ(archive.labels_at(3, 3, 3), std::vector<std::string>{"low"});
  try {
    (void)archive.read_structures(high, ZRange{8, 16});
    FAIL() << "a corrupt tile inside the request was read";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("tile 7 of 8"), std::string::npos) << error.what();
    EXPECT_NE(std::string(error.what()).find("checksum mismatch"), std::string::npos);
  }
  EXPECT_THROW((void)archive.read_structure("high"), FormatError);
}

// The voxels of mask inside box, as an array of the box's shape.
LabelVolume crop(const LabelVolume& mask, const Shape3& shape, const VoxelBox& b) {
  LabelVolume out(DType::kBool, {b.z.end - b.z.begin, b.y.end - b.y.begin, b.x.end - b.x.begin});
  std::size_t i = 0;
  for (std::int64_t z = b.z.begin; z < b.z.end; ++z)
    for (std::int64_t y = b.y.begin; y < b.y.end; ++y)
      for (std::int64_t x = b.x.begin; x < b.x.end; ++x)
        out.set(i++, mask.get(static_cast<std::size_t>((z * shape[1] + y) * shape[2] + x)));
  return out;
}

// Boxes across tile boundaries, empty boxes and the whole grid: a box read equals the mask cropped
// to the box, for a structure, a union and a z-chunked (format 1.2) entry alike.
TEST(ArchiveTiles, BoxReadsEqualTheCroppedMask) {
  TempDir dir;
  const Space space = oblique_space({21, 14, 12});  // (z, y, x) = (12, 14, 21)
  const Shape3 shape = space.shape_zyx();
  const LabelVolume column = box(shape, {0, 6, 13}, {11, 8, 15});
  const LabelVolume slab = box(shape, {5, 0, 0}, {7, 13, 20});
  LabelVolume both = column;
  for (std::size_t i = 0; i < both.size(); ++i) both.set(i, column.get(i) | slab.get(i));
  WriteOptions zchunks;
  zchunks.coding = Coding::kMedmaskCm;
  zchunks.chunk_depth = 4;
  for (const WriteOptions& options : {tiles_options(4, 7), zchunks}) {
    const std::string path = dir.file("boxes.mska");
    {
      MaskArchive archive(path, OpenMode::kWrite, space, options);
      archive.add_structure("column", column);
      archive.add_structure("slab", slab);
    }
    const MaskArchive archive(path, OpenMode::kRead);
    const std::string one[] = {"column"};
    const std::string two[] = {"column", "slab"};
    for (const VoxelBox& b : std::vector<VoxelBox>{{{0, 12}, {0, 14}, {0, 21}},
                                                   {{3, 9}, {6, 8}, {13, 15}},
                                                   {{4, 8}, {7, 14}, {7, 14}},
                                                   {{0, 12}, {0, 6}, {0, 13}},
                                                   {{6, 6}, {0, 14}, {0, 21}},
                                                   {{11, 12}, {13, 14}, {20, 21}}}) {
      SCOPED_TRACE(std::to_string(b.z.begin) + ".." + std::to_string(b.z.end) + " " +
                   std::to_string(b.y.begin) + ".." + std::to_string(b.y.end) + " " +
                   std::to_string(b.x.begin) + ".." + std::to_string(b.x.end));
      EXPECT_TRUE(archive.read_box(one, b).equals(crop(column, shape, b)));
      EXPECT_TRUE(archive.read_box(two, b).equals(crop(both, shape, b)));
    }
    EXPECT_THROW((void)archive.read_box(one, VoxelBox{{0, 12}, {5, 4}, {0, 21}}), ArgumentError);
    EXPECT_THROW((void)archive.read_box(one, VoxelBox{{0, 12}, {0, 14}, {0, 22}}), ArgumentError);
    EXPECT_THROW((void)archive.read_box(one, VoxelBox{{0, 12}, {-1, 14}, {0, 21}}), ArgumentError);
  }
}

// A box decodes only the tiles it meets: with the tile beside it corrupt, a box of the same
// structure that stays out of that tile reads, and one column more fails naming the tile.
TEST(ArchiveTiles, BoxReadDecodesOnlyTheTilesItMeets) {
  TempDir dir;
  const Space space = oblique_space({16, 16, 16});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("bar.mska");
  const LabelVolume bar = box(shape, {9, 2, 1}, {14, 5, 14});  // tiles 4 and 5 (x 0..7, 8..15)
  {
    MaskArchive archive(path, OpenMode::kWrite, space, tiles_options(8, 8));
    archive.add_structure("bar", bar);
  }
  const Json entry = read_index(path)["entries"][0];
  const std::size_t corrupt = 5;  // (kz, ky, kx) = (1, 0, 1)
  std::size_t offset = entry["offset"].get<std::size_t>();
  for (std::size_t k = 0; k < corrupt; ++k) {
    if (entry["tiles"][k].is_array()) offset += entry["tiles"][k][0].get<std::size_t>();
  }
  ASSERT_TRUE(entry["tiles"][4].is_array());
  ASSERT_TRUE(entry["tiles"][corrupt].is_array());
  std::vector<std::uint8_t> bytes = read_bytes(path);
  bytes[offset + entry["tiles"][corrupt][0].get<std::size_t>() - 1] ^= 0x10;
  write_bytes(path, bytes);

  const MaskArchive archive(path, OpenMode::kRead);
  const std::string name[] = {"bar"};
  const VoxelBox left{{0, 16}, {0, 16}, {0, 8}};
  EXPECT_TRUE(archive.read_box(name, left).equals(crop(bar, shape, left)));
  try {
    (void)archive.read_box(name, VoxelBox{{0, 16}, {0, 16}, {0, 9}});
    FAIL() << "a corrupt tile inside the box was not read";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("tile 5 of 8"), std::string::npos) << error.what();
  }
}

// An archive of empty structures only still stores a section (one tile, FORMAT.md 4.3.2).
TEST(ArchiveTiles, EmptyVolumeStoresItsFirstTile) {
  TempDir dir;
  const Space space = oblique_space({9, 9, 9});
  const std::string path = dir.file("empty.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space, tiles_options(4, 4));
    archive.add_structure("nothing", LabelVolume(DType::kBool, space.shape_zyx()));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(
      archive.read_structure("nothing").equals(LabelVolume(DType::kBool, space.shape_zyx())));
  const Json tiles = read_index(path)["entries"][0]["tiles"];
  ASSERT_EQ(tiles.size(), 27u);
  EXPECT_TRUE(tiles[0].is_array());
  for (std::size_t k = 1; k < tiles.size(); ++k) EXPECT_EQ(tiles[k], 0) << k;
}

TEST(TileGrid, MeetingAndBoxes) {
  using codec::Dims;
  const codec::TileGrid grid(Dims{10, 7, 5}, Dims{4, 3, 2});  // 3 x 3 x 3 tiles
  ASSERT_EQ(grid.count(), 27u);
  const codec::TileBox last = grid.box(26);
  EXPECT_EQ(last.z0, 4u);
  EXPECT_EQ(last.y0, 6u);
  EXPECT_EQ(last.x0, 8u);
  EXPECT_EQ(last.dims.nz, 1u);
  EXPECT_EQ(last.dims.ny, 1u);
  EXPECT_EQ(last.dims.nx, 2u);
  EXPECT_EQ(grid.meeting(0, 1, 0, 1, 0, 1), std::vector<std::size_t>{0});
  EXPECT_EQ(grid.meeting(1, 3, 2, 4, 3, 5), (std::vector<std::size_t>{0, 1, 3, 4, 9, 10, 12, 13}));
  EXPECT_TRUE(grid.meeting(2, 2, 0, 7, 0, 10).empty());
  EXPECT_EQ(grid.meeting(0, 99, 0, 99, 0, 99).size(), 27u);
}

// The cut of slices [first, last] into at most n z-chunks on the grid anchored at slice 0; the
// expected depths are worked out by hand in the comments.
TEST(TileGrid, BalancedChunkDepth) {
  using codec::balanced_chunk_depth;
  EXPECT_EQ(balanced_chunk_depth(179, 63, 178, 1), 179u);  // one piece: the whole axis
  // 63..120 and 121..178: 58 slices each (depth 120 leaves 59 in the second, 122 59 in the first).
  EXPECT_EQ(balanced_chunk_depth(179, 63, 178, 2), 121u);
  EXPECT_EQ(balanced_chunk_depth(100, 0, 99, 4), 25u);  // four equal pieces
  // 10..14, 15..19, 20..22: no depth gives three pieces of under 5 slices.
  EXPECT_EQ(balanced_chunk_depth(40, 10, 22, 3), 5u);
  // A single slice is never cut.
  EXPECT_EQ(balanced_chunk_depth(40, 17, 17, 8), 40u);
}

TEST(TileGrid, EncodeDecodeEveryShape) {
  using codec::Dims;
  std::mt19937 rng(7);
  for (const Dims dims : {Dims{1, 1, 1}, Dims{5, 4, 3}, Dims{9, 8, 7}}) {
    for (const Dims tile : {Dims{1, 1, 1}, Dims{2, 3, 2}, Dims{4, 4, 4}, Dims{99, 99, 99}}) {
      std::vector<std::uint16_t> voxels(dims.nx * dims.ny * dims.nz);
      for (auto& v : voxels) v = rng() % 4 == 0 ? static_cast<std::uint16_t>(rng() % 3000) : 0;
      const auto tiles = codec::encode_tiles(voxels.data(), dims, tile, codec::Level::kDefault, 2);
      std::vector<std::span<const std::uint8_t>> spans(tiles.begin(), tiles.end());
      std::vector<std::uint16_t> out(voxels.size(), 0xFFFF);
      ASSERT_EQ(codec::decode_tiles(spans, dims, tile, out.data(), 2), codec::Status::kOk);
      EXPECT_EQ(out, voxels) << dims.nx << "x" << dims.ny << "x" << dims.nz << " in " << tile.nx;
    }
  }
}

}  // namespace
}  // namespace medmask
