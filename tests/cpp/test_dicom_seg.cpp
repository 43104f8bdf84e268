// Tests of DICOM SEG export and import (medmask/dicom_seg.hpp): a round trip through both types
// on an oblique grid with overlap, and the errors of bad input. Independent readers (highdicom,
// dciodvfy) check the files in tests/python/test_dicom_seg.py.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "archive_test_support.hpp"
#include "io/dicom_seg_dataset.hpp"
#include "medmask/dicom_seg.hpp"
#include "medmask/error.hpp"

namespace medmask {
namespace {

using testing::TempDir;

constexpr Shape3 kShapeXyz{7, 5, 6};

LabelVolume blob(std::size_t seed) {
  LabelVolume v(DType::kBool, {kShapeXyz[2], kShapeXyz[1], kShapeXyz[0]});
  for (std::size_t i = 0; i < v.size(); ++i) v.set(i, (i * 2654435761u + seed * 97) % 7 < 2);
  return v;
}

std::string write_archive(const TempDir& dir, int structures) {
  const std::string path = dir.file("case.mska");
  MaskArchive archive(path, OpenMode::kWrite, testing::oblique_space(kShapeXyz));
  for (int s = 0; s < structures; ++s) {
    Label label;
    label.color = Rgb{static_cast<std::uint8_t>(40 * s + 10), 200, 30};
    archive.add_structure("part" + std::to_string(s), blob(static_cast<std::size_t>(s)), label);
  }
  archive.commit();
  return path;
}

void expect_same(const MaskArchive& a, const MaskArchive& b) {
  ASSERT_TRUE(a.space().is_close(b.space(), 1e-3))
      << a.space().to_string() << " vs " << b.space().to_string();
  for (const StructureInfo& info : a.structures()) {
    EXPECT_TRUE(a.read_structure(info.name).equals(b.read_structure(info.name))) << info.name;
    EXPECT_EQ(b.structure(info.name).label.color, info.label.color) << info.name;
  }
}

TEST(DicomSeg, BinaryAndLabelmapRoundTripWithOverlap) {
  TempDir dir;
  const MaskArchive archive(write_archive(dir, 3), OpenMode::kRead);
  for (DicomSegType type : {DicomSegType::kBinary, DicomSegType::kLabelmap}) {
    const std::string folder = dir.file(type == DicomSegType::kBinary ? "binary" : "labelmap");
    std::filesystem::create_directory(folder);
    DicomSegExportOptions options;
    options.type = type;
    options.rle = type == DicomSegType::kLabelmap;
    const DicomSegExportResult result = export_dicom_seg(archive, folder + "/seg.dcm", options);
    // The blobs overlap: LABELMAP needs several instances, BINARY one.
    EXPECT_EQ(result.files.size() > 1, type == DicomSegType::kLabelmap);
    // Without a reference series the SEG stands alone; the kind says so, whatever the text.
    ASSERT_FALSE(result.warnings.empty());
    EXPECT_EQ(result.warnings.back().kind, WarningKind::kStandaloneSeg)
        << result.warnings.back().text;
    // Only the files written remain: DCMTK wrote each to a temporary name first.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& item : std::filesystem::directory_iterator(folder)) ++files;
    EXPECT_EQ(files, result.files.size());
    const ImportedCase imported = import_dicom_seg(folder);
    const std::string back_path = folder + ".mska";
    {
      MaskArchive back(back_path, OpenMode::kWrite, imported.space);
      add_imported(back, imported);
      back.commit();
    }
    expect_same(archive, MaskArchive(back_path, OpenMode::kRead));
  }
}

TEST(DicomSeg, CielabRoundTripIsExact) {
  for (int r = 0; r < 256; r += 15) {
    for (int g = 0; g < 256; g += 17) {
      for (int b = 0; b < 256; b += 51) {
        const Rgb rgb{static_cast<std::uint8_t>(r), static_cast<std::uint8_t>(g),
                      static_cast<std::uint8_t>(b)};
        EXPECT_EQ(io::dicom_lab_to_rgb(io::rgb_to_dicom_lab(rgb)), rgb);
      }
    }
  }
  // White is L* 100, a* = b* = 0 (PS3.3 C.10.7.1.1 scaling).
  const auto white = io::rgb_to_dicom_lab({255, 255, 255});
  EXPECT_EQ(white[0], 65535);
  EXPECT_NEAR(white[1], 32896, 2);
}

TEST(DicomSeg, BadInputIsAnError) {
  TempDir dir;
  const MaskArchive archive(write_archive(dir, 1), OpenMode::kRead);
  DicomSegExportOptions options;
  options.reference = dir.file("missing");
  EXPECT_THROW(export_dicom_seg(archive, dir.file("x.dcm"), options), IoError);
  std::filesystem::create_directory(dir.file("empty"));
  options.reference = dir.file("empty");
  EXPECT_THROW(export_dicom_seg(archive, dir.file("x.dcm"), options), FormatError);
  std::ofstream(dir.file("text.dcm")) << "not dicom";
  EXPECT_THROW(import_dicom_seg(dir.file("text.dcm")), FormatError);
  EXPECT_THROW(parse_dicom_seg_type("fractional"), ArgumentError);
}

}  // namespace
}  // namespace medmask
