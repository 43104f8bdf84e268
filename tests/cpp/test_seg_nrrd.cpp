// .seg.nrrd reading against files and expectations written by slicerio and pynrrd
// (tests/data/seg_nrrd/make_seg_nrrd_cases.py), and write -> read round trips.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "medmask/error.hpp"
#include "medmask/mask.hpp"
#include "medmask/seg_nrrd.hpp"
#include "temp_dir.hpp"

using namespace medmask;

namespace {

const std::string kDir = std::string(MEDMASK_SOURCE_DIR) + "/tests/data/seg_nrrd/";

void check_against_expected(const SegNrrd& seg, const nlohmann::json& want) {
  for (const auto& corner : want["corners"]) {
    const auto ijk = corner["ijk"].get<std::vector<double>>();
    const auto lps = corner["lps"].get<std::vector<double>>();
    const Vec3 got = seg.space.ijk_to_lps({ijk[0], ijk[1], ijk[2]});
    for (std::size_t a = 0; a < 3; ++a) EXPECT_NEAR(got[a], lps[a], 1e-4);
  }
  ASSERT_EQ(seg.layers.size(), want["layers"].get<std::size_t>());
  ASSERT_EQ(seg.segments.size(), want["segments"].size());
  for (std::size_t n = 0; n < seg.segments.size(); ++n) {
    const auto& segment = seg.segments[n];
    const auto& expected = want["segments"][n];
    EXPECT_EQ(segment.label.name, expected["name"].get<std::string>());
    EXPECT_EQ(segment.label.value, expected["value"].get<std::uint32_t>());
    EXPECT_EQ(segment.layer, expected["layer"].get<std::uint32_t>());
    if (expected.contains("color")) {
      const auto c = expected["color"].get<std::vector<int>>();
      ASSERT_TRUE(segment.label.color.has_value());
      EXPECT_EQ(*segment.label.color,
                (Rgb{static_cast<std::uint8_t>(c[0]), static_cast<std::uint8_t>(c[1]),
                     static_cast<std::uint8_t>(c[2])}));
    }
    const auto stats = compute_label_stats(seg.layers[segment.layer]);
    const auto it = stats.find(segment.label.value);
    EXPECT_EQ(it == stats.end() ? 0 : it->second.voxels, expected["voxels"].get<std::uint64_t>());
  }
}

nlohmann::json expected() {
  std::ifstream in(kDir + "expected.json");
  return nlohmann::json::parse(in);
}

}  // namespace

TEST(SegNrrd, ReadsSlicerioTwoLayerOblique) {
  const auto name = "two_layers_oblique.seg.nrrd";
  check_against_expected(read_seg_nrrd(kDir + name), expected()[name]);
}

TEST(SegNrrd, ReadsPlainRasLabelNrrd) {
  const auto name = "label_ras_int16.nrrd";
  check_against_expected(read_seg_nrrd(kDir + name), expected()[name]);
}

TEST(SegNrrd, WriteReadRoundTripKeepsEverything) {
  const SegNrrd original = read_seg_nrrd(kDir + "two_layers_oblique.seg.nrrd");
  const medmask::testing::TempDir dir;
  const std::string path = dir.file("round_trip.seg.nrrd");
  write_seg_nrrd(path, original);
  const SegNrrd back = read_seg_nrrd(path);
  EXPECT_TRUE(back.space.is_close(original.space, 1e-9));
  ASSERT_EQ(back.layers.size(), original.layers.size());
  for (std::size_t l = 0; l < back.layers.size(); ++l) {
    EXPECT_TRUE(back.layers[l].equals(original.layers[l]));
  }
  ASSERT_EQ(back.segments.size(), original.segments.size());
  for (std::size_t n = 0; n < back.segments.size(); ++n) {
    EXPECT_EQ(back.segments[n].label, original.segments[n].label);
    EXPECT_EQ(back.segments[n].layer, original.segments[n].layer);
    EXPECT_EQ(back.segments[n].id, original.segments[n].id);
  }
}

TEST(SegNrrd, BadFilesFailWithTheRightKind) {
  const medmask::testing::TempDir dir;
  const std::string path = dir.file("bad.nrrd");
  auto write = [&](const std::string& text) { std::ofstream(path, std::ios::binary) << text; };
  write("P5\n");
  EXPECT_THROW(read_seg_nrrd(path), FormatError);
  const std::string head =
      "NRRD0004\ndimension: 3\nsizes: 2 2 2\nspace: left-posterior-superior\n"
      "space directions: (1,0,0) (0,1,0) (0,0,1)\nspace origin: (0,0,0)\n";
  write(head + "type: float\nencoding: raw\n\n12345678");
  EXPECT_THROW(read_seg_nrrd(path), UnsupportedError);
  write(head + "type: uchar\nencoding: raw\n\n1234");  // 4 of 8 bytes
  EXPECT_THROW(read_seg_nrrd(path), FormatError);
  write(head + "type: uchar\nencoding: bzip2\n\n12345678");
  EXPECT_THROW(read_seg_nrrd(path), UnsupportedError);
  write(head + "type: short\nendian: little\nencoding: raw\n\n" + std::string(14, '\0') +
        "\xff\xff");
  EXPECT_THROW(read_seg_nrrd(path), ArgumentError);  // -1 is not a label
  write(head + "type: uchar\nencoding: gzip\n\nnot gzip at all");
  EXPECT_THROW(read_seg_nrrd(path), FormatError);
  write(
      "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n"
      "space directions: (1,0,0) (0,1,0)\n\n12345678");
  EXPECT_THROW(read_seg_nrrd(path), FormatError);
}
