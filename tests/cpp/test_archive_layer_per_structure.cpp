// WriteOptions::layer_per_structure (FORMAT.md 10.2): every non-empty structure in a layer of its
// own, in tiles of whole slices (a large one cut in a few z-chunks) unless tiles are asked for, so
// that reading one structure reads nothing of the others; overlap needs no splitting.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "archive_seal.hpp"
#include "archive_test_support.hpp"
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

constexpr Shape3 kShape{30, 36, 44};  // (z, y, x)

struct Case {
  LabelVolume empty{DType::kBool, kShape};
  LabelVolume liver = box(kShape, {2, 3, 4}, {20, 25, 30});
  LabelVolume tumour = box(kShape, {10, 10, 10}, {14, 30, 40});  // partly inside the liver
  LabelVolume kidney = box(kShape, {22, 2, 35}, {29, 9, 43});
};

WriteOptions per_structure() {
  WriteOptions options;
  options.layer_per_structure = true;
  return options;
}

void write_case(const std::string& path, const Case& c, const WriteOptions& options) {
  MaskArchive archive(path, OpenMode::kWrite, oblique_space({kShape[2], kShape[1], kShape[0]}),
                      options);
  archive.add_structure("empty", c.empty);
  archive.add_structure("liver", c.liver);
  archive.add_structure("tumour", c.tumour);
  archive.add_structure("kidney", c.kidney);
}

const Json& entry_named(const Json& index, const std::string& name) {
  for (const Json& entry : index["entries"])
    if (entry["name"] == name) return entry;
  throw std::runtime_error("no entry " + name);
}

// Writes structures of one shape, each in a layer of its own, to path; returns the index entry of
// each structure's layer, in the order given.
std::vector<Json> write_alone(const std::string& path, const Shape3& shape,
                              const std::vector<std::pair<std::string, LabelVolume>>& structures) {
  {
    MaskArchive archive(path, OpenMode::kWrite, oblique_space({shape[2], shape[1], shape[0]}),
                        per_structure());
    for (const auto& [name, volume] : structures) archive.add_structure(name, volume);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  const Json index = read_index(path);
  std::vector<Json> layers;
  for (const auto& item : structures) {
    layers.push_back(entry_named(index, archive.structure(item.first).entry));
  }
  return layers;
}

TEST(LayerPerStructure, EachNonEmptyStructureIsOneStreamOfItsOwnLayer) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  write_case(path, c, per_structure());
  const MaskArchive archive(path, OpenMode::kRead);
  const Json index = read_index(path);
  std::vector<std::string> homes;
  for (const std::string name : {"liver", "tumour", "kidney"}) {
    const StructureInfo& info = archive.structure(name);
    homes.push_back(info.entry);
    const Json& entry = entry_named(index, info.entry);
    ASSERT_EQ(entry["labels"].size(), 1u) << name;  // alone in its layer, overlap and all
    EXPECT_EQ(entry["chunk_depth"], kShape[0]) << name;
    EXPECT_EQ(entry["tiles"].size(), 1u) << name;  // one stream: its crop box is the structure's
  }
  EXPECT_NE(homes[0], homes[1]);
  EXPECT_NE(homes[1], homes[2]);
  EXPECT_NE(homes[0], homes[2]);
  EXPECT_TRUE(archive.read_structure("liver").equals(c.liver));
  EXPECT_TRUE(archive.read_structure("tumour").equals(c.tumour));
  EXPECT_TRUE(archive.read_structure("kidney").equals(c.kidney));
  EXPECT_TRUE(archive.read_structure("empty").equals(c.empty));
  const std::vector<std::string> names{"kidney", "empty", "tumour", "liver"};
  const std::vector<LabelVolume> each = archive.read_each(names);
  EXPECT_TRUE(each[0].equals(c.kidney));
  EXPECT_TRUE(each[2].equals(c.tumour));
  EXPECT_TRUE(each[3].equals(c.liver));
  archive.verify_data();

  // Without the option the same case shares layers: the tumour's overlap is split off.
  const std::string shared = dir.file("shared.mska");
  write_case(shared, c, testing::shared_layers());
  const MaskArchive other(shared, OpenMode::kRead);
  EXPECT_EQ(other.structure("liver").entry, other.structure("kidney").entry);
}

TEST(LayerPerStructure, ReadingOneStructureReadsNoByteOfTheOthers) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  write_case(path, c, per_structure());
  std::string liver_entry;
  {
    const MaskArchive archive(path, OpenMode::kRead);
    liver_entry = archive.structure("liver").entry;
  }
  const Json index = read_index(path);
  const Json& liver = entry_named(index, liver_entry);
  std::vector<std::uint8_t> file = read_bytes(path);
  const std::uint64_t offset = liver["offset"];
  const std::uint64_t length = liver["length"];
  file[offset + length / 2] ^= 0x10;  // damage the liver's stream
  write_bytes(path, file);

  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("tumour").equals(c.tumour));
  EXPECT_TRUE(archive.read_structure("kidney").equals(c.kidney));
  EXPECT_THROW((void)archive.read_structure("liver"), FormatError);
}

TEST(LayerPerStructure, TilesAskedForAreKeptAndAppendingAddsLayers) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  WriteOptions options = per_structure();
  options.chunk_depth = 8;
  options.tile_size = 16;
  write_case(path, c, options);
  {
    MaskArchive archive(path, OpenMode::kAppend, std::nullopt, per_structure());
    archive.add_structure("spleen", box(kShape, {0, 30, 0}, {5, 35, 6}));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  const Json index = read_index(path);
  const Json& liver = entry_named(index, archive.structure("liver").entry);
  EXPECT_EQ(liver["chunk_depth"], 8);
  EXPECT_EQ(liver["tiles"].size(), 4u * 3u * 3u);  // ceil(30/8) x ceil(36/16) x ceil(44/16)
  const Json& spleen = entry_named(index, archive.structure("spleen").entry);
  EXPECT_EQ(spleen["labels"].size(), 1u);
  EXPECT_EQ(spleen["tiles"].size(), 1u);
  EXPECT_TRUE(archive.read_structure("spleen").equals(box(kShape, {0, 30, 0}, {5, 35, 6})));
  EXPECT_TRUE(archive.read_structure("liver").equals(c.liver));
  archive.verify_data();
}

// Options that leave the layout open: a layer per structure at levels fast and default, shared
// layers at max; a file opened for appending (or coded again) keeps the layout it has.
TEST(LayerPerStructure, TheDefaultFollowsTheLevelAndAnAppendKeepsTheFilesLayout) {
  TempDir dir;
  const Case c;
  const auto layers_of = [](const std::string& path) {
    return MaskArchive(path, OpenMode::kRead).entry_names().size();
  };
  const std::string own = dir.file("own.mska");
  const std::string shared = dir.file("shared.mska");
  WriteOptions max;
  max.level = CompressionLevel::kMax;
  write_case(own, c, WriteOptions{});
  write_case(shared, c, max);
  EXPECT_EQ(layers_of(own), 4u);     // "empty" alone, then liver, tumour, kidney
  EXPECT_EQ(layers_of(shared), 2u);  // the tumour's overlap in a second layer
  const LabelVolume spleen = box(kShape, {0, 30, 0}, {5, 35, 6});
  for (const std::string& path : {own, shared}) {
    MaskArchive archive(path, OpenMode::kAppend, std::nullopt, path == own ? max : WriteOptions{});
    archive.add_structure("spleen", spleen);
  }
  EXPECT_EQ(layers_of(own), 5u);
  EXPECT_EQ(layers_of(shared), 2u);
  // Coded again at max, the layers per structure keep their own tiles (whole slices): smaller.
  const auto size_before = std::filesystem::file_size(own);
  {
    MaskArchive archive(own, OpenMode::kAppend, std::nullopt, max);
    archive.recode();
  }
  EXPECT_EQ(read_index(own)["entries"][1]["tile_yx"], Json::array({kShape[1], kShape[2]}));
  EXPECT_LT(std::filesystem::file_size(own), size_before);
  EXPECT_TRUE(MaskArchive(own, OpenMode::kRead).read_structure("spleen").equals(spleen));
}

// An empty structure joins the layer of the structure added before it, so that the entries list
// the structures in the order they were added and the index needs no structure_order; past 255
// values it starts a new layer rather than widen that one to uint16.
TEST(LayerPerStructure, EmptyStructuresFollowTheStructureBeforeThemInItsLayer) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  std::vector<std::string> added{"empty_first", "liver", "empty_a", "empty_b", "kidney"};
  for (int i = 0; i < 300; ++i) added.push_back("late_" + std::to_string(i));
  {
    MaskArchive archive(path, OpenMode::kWrite, oblique_space({kShape[2], kShape[1], kShape[0]}),
                        per_structure());
    for (const std::string& name : added) {
      archive.add_structure(name, name == "liver"    ? c.liver
                                  : name == "kidney" ? c.kidney
                                                     : c.empty);
    }
  }
  const Json index = read_index(path);
  EXPECT_FALSE(index.contains("structure_order"));
  const MaskArchive archive(path, OpenMode::kRead);
  std::vector<std::string> listed;
  for (const StructureInfo& info : archive.structures()) listed.push_back(info.name);
  EXPECT_EQ(listed, added);
  const StructureInfo& liver = archive.structure("liver");
  EXPECT_EQ(liver.value, 1u);
  EXPECT_EQ(archive.structure("empty_b").entry, liver.entry);
  EXPECT_EQ(archive.structure("empty_b").value, 3u);
  EXPECT_NE(archive.structure("empty_first").entry, liver.entry);
  const std::string kidney = archive.structure("kidney").entry;
  EXPECT_EQ(archive.structure("late_253").entry, kidney);  // value 255
  EXPECT_NE(archive.structure("late_254").entry, kidney);
  for (const Json& entry : index["entries"]) EXPECT_EQ(entry["dtype"], "uint8");
  EXPECT_TRUE(archive.read_structure("liver").equals(c.liver));
  EXPECT_TRUE(archive.read_structure("kidney").equals(c.kidney));
  EXPECT_TRUE(archive.read_structure("late_299").equals(c.empty));
  archive.verify_data();
}

// A structure whose box holds more than 512 Ki voxels is cut in z-chunks, so that reading it keeps
// several threads busy; a near copy coded against it takes the same cut (FORMAT.md 5.3.1).
TEST(LayerPerStructure, ALargeStructureIsCutInZChunksAndACopyFollowsItsCut) {
  TempDir dir;
  const Shape3 shape{96, 96, 96};
  const LabelVolume large = box(shape, {4, 4, 4}, {91, 91, 91});   // 88^3 = 681,472 voxels
  const LabelVolume longer = box(shape, {4, 4, 4}, {92, 91, 91});  // one slice more
  const std::string path = dir.file("large.mska");
  const std::vector<Json> layers = write_alone(path, shape, {{"large", large}, {"longer", longer}});
  // Two pieces of 44 slices each: slices 4..47 and 48..91.
  EXPECT_EQ(layers[0]["chunk_depth"], 48);
  ASSERT_EQ(layers[0]["tiles"].size(), 2u);
  EXPECT_TRUE(layers[0]["tiles"][0].is_array());
  EXPECT_TRUE(layers[0]["tiles"][1].is_array());
  // Alone, slices 4..92 would be cut at 49; coded against "large" it keeps that layer's tiles.
  EXPECT_EQ(layers[1]["reference"]["entry"], layers[0]["name"]);
  EXPECT_EQ(layers[1]["chunk_depth"], 48);
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("large").equals(large));
  EXPECT_TRUE(archive.read_structure("longer").equals(longer));
  const LabelVolume top = archive.read_structures(std::vector<std::string>{"longer"}, {60, 96});
  EXPECT_TRUE(top.equals(box({36, 96, 96}, {0, 4, 4}, {32, 91, 91})));  // slices 60..92
  archive.verify_data();
}

// A structure alone in its layer is decoded straight into its mask (no slab, no scan); a range
// that cuts a unit, a unit already cached, or several parts in one mask take the scan. Every path
// gives the same voxels, and the index's box bounds them on both.
TEST(LayerPerStructure, ReadsDecodedStraightIntoTheMaskAgreeWithTheScan) {
  TempDir dir;
  const Shape3 shape{96, 96, 96};
  const LabelVolume large = box(shape, {4, 4, 4}, {91, 91, 91});  // two z-chunks
  const LabelVolume small = box(shape, {10, 60, 2}, {19, 69, 11});
  const std::string path = dir.file("case.mska");
  write_alone(path, shape, {{"large", large}, {"small", small}});
  {
    const MaskArchive archive(path, OpenMode::kRead);
    EXPECT_TRUE(archive.read_structure("large").equals(large));
    const std::vector<LabelVolume> each =
        archive.read_each(std::vector<std::string>{"small", "large"});
    EXPECT_TRUE(each[0].equals(small));
    EXPECT_TRUE(each[1].equals(large));
    LabelVolume both = large.clone();
    for (std::size_t i = 0; i < both.size(); ++i) {
      if (small.get(i) != 0) both.set(i, 1);
    }
    EXPECT_TRUE(archive.read_structures(std::vector<std::string>{"large", "small"}).equals(both));
    // Slices 40..60 cut both z-chunks: scanned, and then cached for the next whole read.
    const LabelVolume middle = archive.read_structures(std::vector<std::string>{"large"}, {40, 60});
    EXPECT_TRUE(middle.equals(box({20, 96, 96}, {0, 4, 4}, {19, 91, 91})));
    EXPECT_TRUE(archive.read_structure("large").equals(large));
  }
  // An index whose box leaves out the structure's last slice: both paths keep to the box.
  fuzz::UnsealedArchive parts = fuzz::unseal(read_bytes(path), path);
  Json index = Json::parse(parts.index_json);
  const std::string entry = MaskArchive(path, OpenMode::kRead).structure("small").entry;
  for (Json& item : index["entries"]) {
    if (item["name"] != entry) continue;
    item["stats"]["1"]["bbox_max_zyx"][0] = 18;
    item["stats"]["1"]["voxels"] = 900;
  }
  parts.index_json = index.dump();
  const std::string narrowed = dir.file("narrowed.mska");
  write_bytes(narrowed, fuzz::seal(parts));
  const LabelVolume within = box(shape, {10, 60, 2}, {18, 69, 11});
  const MaskArchive archive(narrowed, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("small").equals(within));
  EXPECT_TRUE(archive.read_each(std::vector<std::string>{"small"})[0].equals(within));
}

// At most 64 z-chunks per structure: each restarts the codec's models. A box of 520 x 256 x 256
// voxels is 65 pieces of 512 Ki: depth 8 would cut 65, so the writer takes 9 (58 z-chunks).
TEST(LayerPerStructure, AHugeStructureGetsAtMost64ZChunks) {
  TempDir dir;
  const Shape3 shape{520, 256, 256};
  const LabelVolume body = box(shape, {0, 0, 0}, {519, 255, 255});
  const std::string path = dir.file("huge.mska");
  const std::vector<Json> layers = write_alone(path, shape, {{"body", body}});
  EXPECT_EQ(layers[0]["chunk_depth"], 9);
  EXPECT_EQ(layers[0]["tiles"].size(), 58u);
  EXPECT_TRUE(MaskArchive(path, OpenMode::kRead).read_structure("body").equals(body));
}

}  // namespace
}  // namespace medmask
