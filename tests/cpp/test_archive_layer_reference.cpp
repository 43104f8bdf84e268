// Layers coded against an earlier layer (FORMAT.md 4.3.3, 5.3.1): a near-copy of a structure
// (a second model's aorta) costs its differences, reads back exactly by every path, survives
// edits of the layer it is coded against, and a damaged or missing reference is a FormatError.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "archive_seal.hpp"
#include "archive_test_support.hpp"
#include "container/format_constants.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"

namespace medmask {
namespace {

using Json = nlohmann::json;
using testing::oblique_space;
using testing::read_bytes;
using testing::read_index;
using testing::TempDir;
using testing::write_bytes;

constexpr Shape3 kShape{40, 48, 80};  // (z, y, x): the last column of tiles is empty everywhere

WriteOptions small_tiles() {
  WriteOptions options;
  options.coding = Coding::kMedmaskTiles;
  options.chunk_depth = 16;
  options.tile_size = 24;
  options.layer_per_structure = false;  // aorta and kidney share layer0
  return options;
}

std::size_t at(std::int64_t z, std::int64_t y, std::int64_t x) {
  return static_cast<std::size_t>((z * kShape[1] + y) * kShape[2] + x);
}

// An ellipsoid: a structure with a curved surface over many tiles.
LabelVolume ellipsoid(double cz, double cy, double cx, double rz, double ry, double rx) {
  LabelVolume volume(DType::kBool, kShape);
  for (std::int64_t z = 0; z < kShape[0]; ++z)
    for (std::int64_t y = 0; y < kShape[1]; ++y)
      for (std::int64_t x = 0; x < kShape[2]; ++x) {
        const double dz = (static_cast<double>(z) - cz) / rz;
        const double dy = (static_cast<double>(y) - cy) / ry;
        const double dx = (static_cast<double>(x) - cx) / rx;
        if (dz * dz + dy * dy + dx * dx <= 1.0) volume.set(at(z, y, x), 1);
      }
  return volume;
}

// The structure with its outer shell added on slices [z0, z1): about 1-3 % of its voxels.
LabelVolume near_copy(const LabelVolume& mask, std::int64_t z0, std::int64_t z1) {
  LabelVolume out = mask.clone();
  for (std::int64_t z = z0; z < z1; ++z)
    for (std::int64_t y = 1; y + 1 < kShape[1]; ++y)
      for (std::int64_t x = 1; x + 1 < kShape[2]; ++x) {
        if (mask.get(at(z, y, x)) != 0) continue;
        if (mask.get(at(z, y - 1, x)) || mask.get(at(z, y + 1, x)) || mask.get(at(z, y, x - 1)) ||
            mask.get(at(z, y, x + 1)))
          out.set(at(z, y, x), 1);
      }
  return out;
}

// An ellipsoid and a far cube: its bounding box meets tiles that are empty in every layer.
LabelVolume two_parts() {
  LabelVolume volume = ellipsoid(20, 24, 28, 17, 15, 19);
  for (std::int64_t z = 0; z < 4; ++z)
    for (std::int64_t y = 0; y < 4; ++y)
      for (std::int64_t x = 70; x < 76; ++x) volume.set(at(z, y, x), 1);
  return volume;
}

struct Case {
  LabelVolume aorta = two_parts();
  LabelVolume kidney = ellipsoid(8, 10, 10, 5, 6, 6);
  LabelVolume second = near_copy(aorta, 18, 21);  // a second model's aorta
};

const Json* entry_named(const Json& index, const std::string& name) {
  for (const Json& entry : index["entries"])
    if (entry["name"] == name) return &entry;
  return nullptr;
}

void write_case(const std::string& path, const Case& c, bool with_original = true) {
  MaskArchive archive(path, OpenMode::kWrite, oblique_space({kShape[2], kShape[1], kShape[0]}),
                      small_tiles());
  if (with_original) archive.add_structure("aorta", c.aorta);
  archive.add_structure("kidney", c.kidney);
  archive.add_structure("aorta_model2", c.second);
}

TEST(LayerReference, ANearCopyIsCodedAgainstTheLayerItOverlaps) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  write_case(path, c);
  const Json index = read_index(path);
  const Json* layer1 = entry_named(index, "layer1");
  ASSERT_NE(layer1, nullptr);
  ASSERT_TRUE(layer1->contains("reference"));
  EXPECT_EQ((*layer1)["reference"]["entry"], "layer0");
  const Json* layer0 = entry_named(index, "layer0");
  std::uint32_t aorta_value = 0;
  for (const Json& label : (*layer0)["labels"])
    if (label["name"] == "aorta") aorta_value = label.value("value", 1u);
  EXPECT_EQ((*layer1)["reference"]["map"],
            Json::parse("[[" + std::to_string(aorta_value) + ", 1]]"));
  const std::vector<std::uint8_t> file = read_bytes(path);
  EXPECT_NE(file[container::kOffsetRequiredFeatures] & container::kFeatureLayerReferences, 0);
  const std::vector<EntryInfo> entries = MaskArchive(path, OpenMode::kRead).entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[0].reference, "");
  EXPECT_EQ(entries[1].reference, "layer0");

  // The same near-copy coded alone (no original in the case: it goes into layer0 by itself).
  const std::string alone = dir.file("alone.mska");
  {
    MaskArchive archive(alone, OpenMode::kWrite, oblique_space({kShape[2], kShape[1], kShape[0]}),
                        small_tiles());
    archive.add_structure("aorta_model2", c.second);
  }
  const std::uint64_t coded_against = (*layer1)["length"];
  const std::uint64_t coded_alone = (*entry_named(read_index(alone), "layer0"))["length"];
  EXPECT_LT(coded_against * 4, coded_alone) << coded_against << " vs " << coded_alone;
}

TEST(LayerReference, EveryReadPathGivesTheExactVoxels) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  write_case(path, c);
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("aorta_model2").equals(c.second));
  EXPECT_TRUE(archive.read_structure("aorta").equals(c.aorta));
  EXPECT_TRUE(archive.read_structure("kidney").equals(c.kidney));
  const std::vector<std::string> names{"aorta_model2", "kidney", "aorta"};
  const std::vector<LabelVolume> each = archive.read_each(names);
  EXPECT_TRUE(each[0].equals(c.second));
  EXPECT_TRUE(each[2].equals(c.aorta));
  const std::vector<std::string> one{"aorta_model2"};
  const LabelVolume slices = archive.read_structures(one, ZRange{17, 22});
  for (std::int64_t z = 0; z < kShape[0]; ++z)
    for (std::int64_t y = 0; y < kShape[1]; ++y)
      for (std::int64_t x = 0; x < kShape[2]; ++x) {
        if (z < 17 || z >= 22) continue;
        const auto in_range = static_cast<std::size_t>(((z - 17) * kShape[1] + y) * kShape[2] + x);
        ASSERT_EQ(slices.get(in_range), c.second.get(at(z, y, x))) << z << " " << y << " " << x;
      }
  archive.verify_data();
}

// FORMAT.md 10.2: a near-copy that the packing would split, a piece into a layer of its own
// because another structure's overlap already sits in the next layer, goes whole into the new
// layer, coded against the original's.
TEST(LayerReference, ANearCopyThatWouldBeSplitGoesWholeIntoANewLayer) {
  TempDir dir;
  const LabelVolume aorta = ellipsoid(20, 24, 28, 17, 15, 19);
  // A box whose 4 voxels inside the aorta (of 240: <= 5 %) go to layer1.
  LabelVolume vessel(DType::kBool, kShape);
  for (std::int64_t z = 18; z < 20; ++z)
    for (std::int64_t y = 23; y < 25; ++y)
      for (std::int64_t x = 46; x < 106 && x < kShape[2]; ++x) vessel.set(at(z, y, x), 1);
  const LabelVolume second = near_copy(aorta, 18, 21);
  const std::string path = dir.file("case.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, oblique_space({kShape[2], kShape[1], kShape[0]}),
                        small_tiles());
    archive.add_structure("aorta", aorta);
    archive.add_structure("vessel", vessel);
    archive.add_structure("aorta_model2", second);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  ASSERT_EQ(archive.structure("vessel").parts.size(), 2u);  // the premise: layer1 holds a piece
  const StructureInfo& copy = archive.structure("aorta_model2");
  ASSERT_EQ(copy.parts.size(), 1u);
  EXPECT_EQ(copy.entry, "layer2");
  const Json index = read_index(path);
  const Json* layer2 = entry_named(index, "layer2");
  ASSERT_NE(layer2, nullptr);
  EXPECT_EQ((*layer2)["reference"]["entry"], "layer0");
  EXPECT_TRUE(archive.read_structure("aorta_model2").equals(second));
  EXPECT_TRUE(archive.read_structure("vessel").equals(vessel));
  EXPECT_TRUE(archive.read_structure("aorta").equals(aorta));
  archive.verify_data();
}

TEST(LayerReference, EditingTheReferencedLayerKeepsTheDependentExact) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  write_case(path, c);
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.remove("kidney");  // layer0 changes; layer1 still refers to it
  }
  {
    const MaskArchive archive(path, OpenMode::kRead);
    EXPECT_TRUE(archive.read_structure("aorta_model2").equals(c.second));
    EXPECT_TRUE(archive.read_structure("aorta").equals(c.aorta));
    archive.verify_data();
  }
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.remove("aorta");  // the reference's own structure goes
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("aorta_model2").equals(c.second));
  EXPECT_THROW((void)archive.read_structure("aorta"), Error);
  archive.verify_data();
}

TEST(LayerReference, ADamagedReferenceTileIsAFormatError) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  write_case(path, c);
  const Json index = read_index(path);
  const Json* layer0 = entry_named(index, "layer0");
  // The first stored tile of layer0 under the aorta's centre slice: flip a byte in its middle.
  std::vector<std::uint8_t> file = read_bytes(path);
  std::uint64_t offset = (*layer0)["offset"];
  const Json& tiles = (*layer0)["tiles"];
  const std::size_t per_chunk = tiles.size() / 3;  // 40 slices in chunks of 16: 3 z-chunks
  for (std::size_t k = 0; k < tiles.size(); ++k) {
    if (!tiles[k].is_array()) continue;
    const std::uint64_t length = tiles[k][0];
    if (k >= per_chunk && k < 2 * per_chunk) {
      file[offset + length / 2] ^= 0x40;
      break;
    }
    offset += length;
  }
  write_bytes(path, file);
  const MaskArchive archive(path, OpenMode::kRead);
  try {
    (void)archive.read_structure("aorta_model2");
    FAIL() << "expected a FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("layer0"), std::string::npos) << e.what();
  }
}

TEST(LayerReference, AReferenceTheIndexCannotHonourIsAFormatError) {
  TempDir dir;
  const Case c;
  const std::string path = dir.file("case.mska");
  write_case(path, c);
  const auto reject = [&](const std::function<void(fuzz::UnsealedArchive&, Json&)>& edit,
                          const std::string& expected) {
    fuzz::UnsealedArchive parts = fuzz::unseal(read_bytes(path), path);
    Json index = Json::parse(parts.index_json);
    edit(parts, index);
    parts.index_json = index.dump();
    const std::string bad = dir.file("bad.mska");
    write_bytes(bad, fuzz::seal(parts));
    try {
      const MaskArchive archive(bad, OpenMode::kRead);
      FAIL() << "expected a FormatError: " << expected;
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
  };
  const auto layer1 = [](Json& index) -> Json& {
    for (Json& entry : index["entries"])
      if (entry["name"] == "layer1") return entry;
    throw std::runtime_error("no layer1");
  };
  reject([](fuzz::UnsealedArchive& parts,
            Json&) { parts.required_features &= ~container::kFeatureLayerReferences; },
         "required feature bit 2");
  reject([&](fuzz::UnsealedArchive&, Json& index) { layer1(index)["reference"]["entry"] = "x"; },
         "not an earlier entry");
  reject([&](fuzz::UnsealedArchive&,
             Json& index) { layer1(index)["reference"]["map"] = Json::parse("[[1, 1], [1, 2]]"); },
         "mapped twice");
  reject([&](fuzz::UnsealedArchive&,
             Json& index) { layer1(index)["reference"]["map"] = Json::parse("[[300, 1]]"); },
         "out of range");
  reject(
      [&](fuzz::UnsealedArchive&, Json& index) { layer1(index)["reference"]["entry"] = "layer1"; },
      "not an earlier entry");
}

}  // namespace
}  // namespace medmask
