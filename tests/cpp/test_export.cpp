// Tests of export_archive (medmask/export.hpp): every format read back with MedMask's readers,
// whose own correctness against nibabel, slicerio and numpy is tested elsewhere
// (test_nifti.cpp, test_seg_nrrd.cpp, test_numpy_io.cpp, tests/python/test_import_export.py).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "archive_test_support.hpp"
#include "medmask/export.hpp"
#include "medmask/import.hpp"
#include "medmask/label_files.hpp"
#include "medmask/nifti.hpp"
#include "medmask/numpy_io.hpp"
#include "medmask/seg_nrrd.hpp"

namespace medmask {
namespace {

using testing::TempDir;

constexpr Shape3 kShapeXyz{6, 5, 4};

// A box of ones (numpy z, y, x order), half-open ranges.
LabelVolume box(std::array<std::int64_t, 3> lo, std::array<std::int64_t, 3> hi) {
  LabelVolume v(DType::kUInt8, {kShapeXyz[2], kShapeXyz[1], kShapeXyz[0]});
  for (std::int64_t z = lo[0]; z < hi[0]; ++z)
    for (std::int64_t y = lo[1]; y < hi[1]; ++y)
      for (std::int64_t x = lo[2]; x < hi[2]; ++x)
        v.set(static_cast<std::size_t>((z * kShapeXyz[1] + y) * kShapeXyz[0] + x), 1);
  return v;
}

// Three structures: liver and tumour overlap in 8 voxels, kidney is apart; one empty.
struct Case {
  LabelVolume liver = box({0, 0, 0}, {3, 3, 4});
  LabelVolume tumour = box({1, 1, 2}, {3, 3, 5});
  LabelVolume kidney = box({3, 3, 4}, {4, 5, 6});
  LabelVolume empty = box({0, 0, 0}, {0, 0, 0});
};

std::string make_archive(const TempDir& dir, const Case& c) {
  const std::string path = dir.file("case.mska");
  MaskArchive archive(path, OpenMode::kWrite, testing::oblique_space(kShapeXyz));
  archive.add_structure("liver", c.liver, Label{"", 0, Rgb{200, 100, 50}, "the liver", {}}, false);
  archive.add_structure("tumour", c.tumour, {}, false);
  archive.add_structure("kidney", c.kidney, {}, false);
  archive.add_structure("nothing", c.empty, {}, false);
  archive.commit();
  return path;
}

// Voxels where volume == value, as 0/1.
LabelVolume where(const LabelVolume& volume, std::uint32_t value) {
  LabelVolume out(DType::kUInt8, volume.shape_zyx());
  for (std::size_t i = 0; i < volume.size(); ++i) out.set(i, volume.get(i) == value ? 1 : 0);
  return out;
}

TEST(Export, ParsesFormatNames) {
  EXPECT_EQ(parse_export_format("nifti-dir"), ExportFormat::kNiftiDir);
  EXPECT_EQ(parse_export_format("seg.nrrd"), ExportFormat::kSegNrrd);
  EXPECT_THROW(parse_export_format("dicom"), ArgumentError);
}

TEST(Export, NiftiDirWritesEachStructureWithItsLabel) {
  TempDir dir;
  const Case c;
  const MaskArchive archive(make_archive(dir, c), OpenMode::kRead);
  const std::string folder = dir.file("out");
  const ExportResult result = export_archive(archive, ExportFormat::kNiftiDir, folder);
  EXPECT_EQ(result.files.size(), 5u);  // four masks and labels.json
  const NiftiImage liver = read_nifti(folder + "/liver.nii.gz");
  EXPECT_TRUE(liver.volume.equals(c.liver));
  EXPECT_TRUE(liver.space.is_close(archive.space(), 1e-4));
  EXPECT_EQ(liver.sform_code, 1);
  EXPECT_EQ(liver.qform_code, 1);
  EXPECT_TRUE(liver.warnings.empty()) << liver.warnings.front().text;  // sform and qform agree
  const auto table = label_table_from_extensions(liver.extensions, "liver");
  ASSERT_TRUE(table.has_value());
  ASSERT_EQ(table->size(), 1u);
  EXPECT_EQ(table->labels()[0].name, "liver");
  EXPECT_EQ(table->labels()[0].value, 1u);
  EXPECT_EQ(table->labels()[0].color, (Rgb{200, 100, 50}));
  EXPECT_EQ(table->labels()[0].description, "the liver");
  EXPECT_TRUE(read_nifti(folder + "/tumour.nii.gz").volume.equals(c.tumour));
  EXPECT_EQ(read_nifti(folder + "/nothing.nii.gz").volume.max_value(), 0u);
}

TEST(Export, MultilabelRefusesOverlapNamingBothStructures) {
  TempDir dir;
  const MaskArchive archive(make_archive(dir, Case{}), OpenMode::kRead);
  const std::string path = dir.file("ml.nii.gz");
  try {
    export_archive(archive, ExportFormat::kNiftiMultilabel, path);
    FAIL() << "overlap was accepted";
  } catch (const ArgumentError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'liver' and 'tumour' overlap in 8 voxels"), std::string::npos) << what;
    // Library messages reach Python users too: they name no command-line flag.
    EXPECT_EQ(what.find("--"), std::string::npos) << what;
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Export, MultilabelWithoutOverlapKeepsValuesAndTable) {
  TempDir dir;
  const Case c;
  const MaskArchive archive(make_archive(dir, c), OpenMode::kRead);
  ExportOptions options;
  options.names = {"liver", "kidney", "nothing"};
  const std::string path = dir.file("ml.nii.gz");
  export_archive(archive, ExportFormat::kNiftiMultilabel, path, options);
  const NiftiImage image = read_nifti(path);
  const auto table = label_table_from_extensions(image.extensions, path);
  ASSERT_TRUE(table.has_value());
  EXPECT_EQ(table->size(), 3u);
  EXPECT_EQ(table->at("liver").value, archive.structure("liver").value);
  EXPECT_TRUE(where(image.volume, table->at("liver").value).equals(c.liver));
  EXPECT_TRUE(where(image.volume, table->at("kidney").value).equals(c.kidney));
  EXPECT_EQ(image.volume.dtype(), DType::kUInt8);
  // The sidecar is a label table file that --labels reads.
  EXPECT_EQ(read_label_table_file(dir.file("ml.json")), *table);
}

TEST(Export, MultilabelSplitLayersKeepsEveryVoxel) {
  TempDir dir;
  const Case c;
  const MaskArchive archive(make_archive(dir, c), OpenMode::kRead);
  ExportOptions options;
  options.split_layers = true;
  export_archive(archive, ExportFormat::kNiftiMultilabel, dir.file("ml.nii.gz"), options);
  const NiftiImage layer0 = read_nifti(dir.file("ml_layer0.nii.gz"));
  const NiftiImage layer1 = read_nifti(dir.file("ml_layer1.nii.gz"));
  EXPECT_FALSE(std::filesystem::exists(dir.file("ml_layer2.nii.gz")));
  const LabelTable t0 = read_label_table_file(dir.file("ml_layer0.json"));
  const LabelTable t1 = read_label_table_file(dir.file("ml_layer1.json"));
  EXPECT_TRUE(where(layer0.volume, t0.at("liver").value).equals(c.liver));
  EXPECT_TRUE(where(layer1.volume, t1.at("tumour").value).equals(c.tumour));
}

TEST(Export, SegNrrdPutsOverlapInLayers) {
  TempDir dir;
  const Case c;
  const MaskArchive archive(make_archive(dir, c), OpenMode::kRead);
  const std::string path = dir.file("case.seg.nrrd");
  export_archive(archive, ExportFormat::kSegNrrd, path);
  const SegNrrd seg = read_seg_nrrd(path);
  EXPECT_TRUE(seg.space.is_close(archive.space(), 1e-9));
  ASSERT_EQ(seg.layers.size(), 2u);
  ASSERT_EQ(seg.segments.size(), 4u);
  for (const SegNrrdSegment& segment : seg.segments) {
    const LabelVolume mask = where(seg.layers[segment.layer], segment.label.value);
    EXPECT_TRUE(mask.equals(archive.read_structure(segment.label.name))) << segment.label.name;
    EXPECT_EQ(segment.id, segment.label.name);
  }
  EXPECT_EQ(seg.segments[0].label.color, (Rgb{200, 100, 50}));
}

TEST(Export, NpzRoundTripsThroughImport) {
  TempDir dir;
  const Case c;
  const MaskArchive archive(make_archive(dir, c), OpenMode::kRead);
  const std::string path = dir.file("case.npz");
  export_archive(archive, ExportFormat::kNpz, path);
  const NpzContents contents = read_npz(path);
  ASSERT_EQ(contents.texts.size(), 1u);
  EXPECT_EQ(contents.texts[0].first, "medmask");
  const auto json = nlohmann::json::parse(contents.texts[0].second);
  EXPECT_EQ(json["axes"], "zyx");
  EXPECT_EQ(json["labels"].size(), 4u);

  const ImportedCase imported = import_numpy(path, {});  // the file carries its space
  EXPECT_TRUE(imported.space.is_close(archive.space(), 1e-9));
  const std::string again = dir.file("again.mska");
  {
    MaskArchive copy(again, OpenMode::kWrite, imported.space);
    add_imported(copy, imported);
    copy.commit();
  }
  const MaskArchive copy(again, OpenMode::kRead);
  for (const char* name : {"liver", "tumour", "kidney", "nothing"}) {
    EXPECT_TRUE(copy.read_structure(name).equals(archive.read_structure(name))) << name;
    EXPECT_EQ(copy.structure(name).label.color, archive.structure(name).label.color) << name;
  }
  // A space that disagrees with the file's is refused.
  NumpyGeometry other;
  other.origin_lps = Vec3{0, 0, 0};
  other.spacing_mm = Vec3{1, 1, 1};
  EXPECT_THROW(import_numpy(path, other), ArgumentError);
}

TEST(Export, RefusesUnknownNamesAndWrongEndings) {
  TempDir dir;
  const MaskArchive archive(make_archive(dir, Case{}), OpenMode::kRead);
  ExportOptions options;
  options.names = {"liver", "spleen"};
  EXPECT_THROW(export_archive(archive, ExportFormat::kNpz, dir.file("x.npz"), options),
               NotFoundError);
  EXPECT_THROW(export_archive(archive, ExportFormat::kNpz, dir.file("x.zip")), ArgumentError);
  EXPECT_THROW(export_archive(archive, ExportFormat::kSegNrrd, dir.file("x.nii")), ArgumentError);
}

}  // namespace
}  // namespace medmask
