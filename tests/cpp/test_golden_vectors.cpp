// The C++ reader decodes the format 1.2 test vectors tests/data/golden/groups_{zstd,cm1}.mska and
// the 1.3 vectors unions_{zstd,cm1}.mska to the content {groups,unions}_expected.json record. That
// JSON is written by make_groups_mska.cpp from the boxes it painted, not by reading the files back;
// tests/python/test_spec_reader.py checks the same files with a reader written from docs/FORMAT.md
// alone.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medmask/archive.hpp"

namespace medmask {
namespace {

using nlohmann::json;

const std::string kGolden = std::string(MEDMASK_SOURCE_DIR) + "/tests/data/golden/";

// groups_*.mska (format 1.2) and unions_*.mska (1.3) each have their expected JSON.
json expected_content(const std::string& file) {
  std::ifstream in(kGolden + file.substr(0, file.find('_')) + "_expected.json");
  return json::parse(in);
}

Space space_of(const json& space) {
  const json& columns = space.at("direction_columns");
  Mat3 direction{};
  for (std::size_t c = 0; c < 3; ++c) {
    for (std::size_t r = 0; r < 3; ++r) direction[r][c] = columns.at(c).at(r).get<double>();
  }
  return Space(space.at("shape_xyz").get<Shape3>(), space.at("origin_lps").get<Vec3>(),
               space.at("spacing_mm").get<Vec3>(), direction);
}

LabelStats stats_of(const json& stats) {
  LabelStats out;
  out.voxels = stats.at("voxels").get<std::uint64_t>();
  if (out.voxels > 0) {
    out.bbox_min_zyx = stats.at("bbox_min_zyx").get<std::array<std::int64_t, 3>>();
    out.bbox_max_zyx = stats.at("bbox_max_zyx").get<std::array<std::int64_t, 3>>();
  }
  return out;
}

// A bool (z, y, x) mask that is the union of inclusive boxes [z0, y0, x0, z1, y1, x1].
LabelVolume mask_of(const std::vector<std::array<std::int64_t, 6>>& boxes, const Shape3& shape) {
  LabelVolume mask(DType::kBool, shape);
  for (const auto& b : boxes) {
    for (std::int64_t z = b[0]; z <= b[3]; ++z) {
      for (std::int64_t y = b[1]; y <= b[4]; ++y) {
        for (std::int64_t x = b[2]; x <= b[5]; ++x) {
          mask.set(static_cast<std::size_t>((z * shape[1] + y) * shape[2] + x), 1);
        }
      }
    }
  }
  return mask;
}

void expect_label(const Label& label, const json& want) {
  EXPECT_EQ(label.description, want.at("description").get<std::string>()) << label.name;
  if (want.contains("color")) {
    const auto rgb = want.at("color").get<std::array<std::uint8_t, 3>>();
    EXPECT_EQ(label.color, (Rgb{rgb[0], rgb[1], rgb[2]})) << label.name;
  } else {
    EXPECT_FALSE(label.color.has_value()) << label.name;
  }
  if (want.contains("concept")) {
    const json& c = want.at("concept");
    EXPECT_EQ(label.concept_code, (CodedConcept{c.at("scheme"), c.at("code"), c.at("meaning")}));
  } else {
    EXPECT_FALSE(label.concept_code.has_value()) << label.name;
  }
}

class GoldenVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenVectors, DecodesToTheGeneratorsContent) {
  const json expected = expected_content(GetParam());
  const json& file = expected.at("files").at(GetParam());
  const MaskArchive archive(kGolden + GetParam(), OpenMode::kRead);
  ASSERT_EQ(archive.space(), space_of(expected.at("space")));
  const Shape3 shape = archive.space().shape_zyx();
  const double voxel_mm3 = 0.8 * 0.9 * 2.5;

  const std::vector<EntryInfo> entries = archive.entries();
  ASSERT_EQ(entries.size(), expected.at("entries").size());
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const json& want = expected["entries"][i];
    EXPECT_EQ(entries[i].name, want.at("name").get<std::string>());
    EXPECT_EQ(std::string(dtype_name(entries[i].dtype)), want.at("dtype").get<std::string>());
    EXPECT_EQ(entries[i].coding_name, file.at("coding").get<std::string>());
    EXPECT_EQ(entries[i].coding, coding_from_name(entries[i].coding_name));
  }

  std::vector<std::string> order;
  for (const StructureInfo& info : archive.structures()) order.push_back(info.name);
  std::vector<std::string> want_order;
  std::map<std::string, std::vector<std::array<std::int64_t, 6>>> boxes;
  for (const json& s : expected.at("structures")) {
    want_order.push_back(s.at("name"));
    boxes[s.at("name")] = s.at("boxes_zyx").get<std::vector<std::array<std::int64_t, 6>>>();
  }
  for (const json& g : expected.at("groups")) want_order.push_back(g.at("name"));
  EXPECT_EQ(order, want_order);

  for (const json& want : expected.at("structures")) {
    const std::string name = want.at("name");
    const StructureInfo& info = archive.structure(name);
    EXPECT_FALSE(info.is_group()) << name;
    expect_label(info.label, want);
    EXPECT_EQ(info.stats, stats_of(want.at("stats"))) << name;
    EXPECT_DOUBLE_EQ(info.volume_mm3, static_cast<double>(info.stats.voxels) * voxel_mm3) << name;
    ASSERT_EQ(info.parts.size(), want.at("parts").size()) << name;
    for (std::size_t p = 0; p < info.parts.size(); ++p) {
      const json& part = want["parts"][p];
      EXPECT_EQ(info.parts[p].entry, part.at("entry").get<std::string>()) << name;
      EXPECT_EQ(info.parts[p].value, part.at("value").get<std::uint32_t>()) << name;
      EXPECT_EQ(info.parts[p].stats, stats_of(part.at("stats"))) << name;
    }
    EXPECT_TRUE(archive.read_structure(name).equals(mask_of(boxes[name], shape))) << name;
  }

  for (const json& want : expected.at("groups")) {
    const std::string name = want.at("name");
    const StructureInfo& info = archive.structure(name);
    ASSERT_TRUE(info.is_group()) << name;
    std::vector<std::string> members = info.members;
    std::vector<std::string> want_members = want.at("members");
    if (want.at("recognised_union").get<bool>()) {  // the writer picks the member order
      std::sort(members.begin(), members.end());
      std::sort(want_members.begin(), want_members.end());
    }
    EXPECT_EQ(members, want_members) << name;
    expect_label(info.label, want);
    EXPECT_EQ(info.stats, stats_of(want.at("stats"))) << name;
    std::vector<std::array<std::int64_t, 6>> union_boxes;
    for (const std::string& structure : archive.expand(name)) {
      union_boxes.insert(union_boxes.end(), boxes.at(structure).begin(), boxes.at(structure).end());
    }
    EXPECT_TRUE(archive.read_structure(name).equals(mask_of(union_boxes, shape))) << name;
  }

  // The voxel spleen shares with the liver (its part in layer1) is found under both.
  std::vector<std::string> at = archive.labels_at(1, 2, 3);
  std::sort(at.begin(), at.end());
  EXPECT_EQ(at, (std::vector<std::string>{"abdomen", "liver", "spleen"}));
}

INSTANTIATE_TEST_SUITE_P(Files, GoldenVectors,
                         ::testing::Values("groups_zstd.mska", "groups_cm1.mska",
                                           "unions_zstd.mska", "unions_cm1.mska",
                                           "unions_tiles.mska"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name =
                               param_info.param.substr(0, param_info.param.find('.'));
                           name.erase(std::remove(name.begin(), name.end(), '_'), name.end());
                           return name;
                         });

}  // namespace
}  // namespace medmask

namespace medmask {
namespace {

// layered_tiles.mska (format 1.3): layer1 coded against layer0 (FORMAT.md 4.3.3, 5.3.1), with
// empty tiles that equal their prediction and tiles of stream mode 3; layered_edges_tiles.mska:
// the same case with tiles of stream mode 5 (A.5.7; tests/python/test_spec_reader.py checks the
// modes). Each structure decodes to the boxes make_layered_mska.cpp painted
// (layered_expected.json).
TEST(GoldenVectors, LayeredTilesDecodeToTheirBoxes) {
  std::ifstream in(kGolden + "layered_expected.json");
  const json expected = json::parse(in);
  for (const std::string file : {"layered_tiles.mska", "layered_edges_tiles.mska"}) {
    const MaskArchive archive(kGolden + file, OpenMode::kRead);
    const Shape3 shape = expected.at("shape_zyx").get<Shape3>();
    ASSERT_EQ(archive.space().shape_zyx(), shape) << file;
    for (const json& want : expected.at("structures")) {
      const std::string name = want.at("name").get<std::string>();
      const auto boxes = want.at("boxes_zyx").get<std::vector<std::array<std::int64_t, 6>>>();
      EXPECT_TRUE(archive.read_structure(name).equals(mask_of(boxes, shape)))
          << file << " " << name;
    }
    archive.verify_data();
  }
}

}  // namespace
}  // namespace medmask
