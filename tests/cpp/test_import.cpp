// Tests of the import functions (medmask/import.hpp): label-map naming policy, NIfTI label
// extensions, NumPy geometry, Slicer layers and original medmask files.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "archive_test_support.hpp"
#include "medmask/import.hpp"
#include "medmask/label_files.hpp"
#include "medmask/nifti.hpp"
#include "medmask/numpy_io.hpp"
#include "medmask/seg_nrrd.hpp"

namespace medmask {
namespace {

using testing::TempDir;

constexpr Shape3 kShapeXyz{4, 3, 2};

// Values 0, 2 and 5 (numpy z, y, x order).
LabelVolume label_map() {
  LabelVolume v(DType::kUInt8, {kShapeXyz[2], kShapeXyz[1], kShapeXyz[0]});
  for (std::size_t i = 0; i < v.size(); ++i) v.set(i, i % 3 == 0 ? 0 : (i % 3 == 1 ? 2 : 5));
  return v;
}

std::string write_label_nifti(const TempDir& dir, const std::vector<NiftiExtension>& ext = {}) {
  const std::string path = dir.file("ml.nii.gz");
  NiftiWriteOptions options;
  options.extensions = ext;
  write_nifti(path, label_map(), testing::oblique_space(kShapeXyz), options);
  return path;
}

LabelTable table(std::initializer_list<std::pair<const char*, std::uint32_t>> labels) {
  LabelTable t;
  for (const auto& [name, value] : labels) t.add(name, value);
  return t;
}

TEST(Import, UnnamedLabelMapGetsGeneratedNames) {
  TempDir dir;
  const ImportedCase c = import_label_nifti(write_label_nifti(dir));
  ASSERT_EQ(c.entries.size(), 1u);
  const LabelTable& labels = c.entries[0].mask.labels();
  EXPECT_EQ(labels, table({{"label_2", 2}, {"label_5", 5}}));
  EXPECT_TRUE(c.entries[0].mask.volume().equals(label_map()));
  EXPECT_TRUE(c.space.is_close(testing::oblique_space(kShapeXyz), 1e-4));
}

TEST(Import, ValuesMissingFromTheTableAreAnErrorUnlessAllowed) {
  TempDir dir;
  const std::string path = write_label_nifti(dir);
  LabelMapOptions options;
  options.labels = table({{"liver", 2}});
  try {
    import_label_nifti(path, options);
    FAIL() << "an unnamed value was accepted";
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("not in the label table: 5"), std::string::npos)
        << e.what();
  }
  options.allow_unnamed = true;
  const ImportedCase c = import_label_nifti(path, options);
  EXPECT_EQ(c.entries[0].mask.labels(), table({{"liver", 2}, {"label_5", 5}}));
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].kind, WarningKind::kUnnamedValues) << c.warnings[0].text;
}

TEST(Import, NamedValuesWithoutVoxelsAreKeptAndReported) {
  TempDir dir;
  LabelMapOptions options;
  options.labels = table({{"liver", 2}, {"spleen", 5}, {"pancreas", 300}});
  const ImportedCase c = import_label_nifti(write_label_nifti(dir), options);
  EXPECT_EQ(c.entries[0].mask.labels().size(), 3u);
  EXPECT_EQ(c.entries[0].mask.volume().dtype(), DType::kUInt16);  // widened for value 300
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].kind, WarningKind::kEmptyLabels);
  EXPECT_NE(c.warnings[0].text.find("1 of 3 named labels have no voxels"), std::string::npos)
      << c.warnings[0].text;
}

TEST(Import, LabelExtensionsRoundTripAndCaretIsRead) {
  TempDir dir;
  LabelTable written;
  written.add(
      Label{"liver", 2, Rgb{10, 20, 30}, "organ", CodedConcept{"SCT", "10200004", "Liver"}});
  written.add("spleen", 5);
  const auto extensions = label_table_extensions(written);
  ASSERT_EQ(extensions.size(), 2u);
  EXPECT_EQ(extensions[0].code, 0);  // Caret XML as TotalSegmentator writes it
  EXPECT_EQ(extensions[1].code, 6);  // MedMask's JSON
  const ImportedCase c = import_label_nifti(write_label_nifti(dir, extensions));
  EXPECT_EQ(c.entries[0].mask.labels(), written);  // the JSON keeps every field
  // Only the Caret XML (TotalSegmentator): names and colours.
  const ImportedCase caret = import_label_nifti(write_label_nifti(dir, {extensions[0]}));
  EXPECT_EQ(caret.entries[0].mask.labels().at("liver").value, 2u);
  EXPECT_EQ(caret.entries[0].mask.labels().at("liver").color, (Rgb{10, 20, 30}));
}

TEST(Import, NumpyNeedsGeometryThatFitsTheArray) {
  TempDir dir;
  const std::string path = dir.file("a.npz");
  write_npz(path, {{"organs", label_map()}, {"bladder", label_map().converted(DType::kUInt8)}});
  EXPECT_THROW(import_numpy(path, {}), ArgumentError);
  NumpyGeometry wrong;
  wrong.space = Space({5, 3, 2}, {0, 0, 0}, {1, 1, 1}, Mat3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}});
  EXPECT_THROW(import_numpy(path, wrong), ArgumentError);
  NumpyGeometry half;
  half.origin_lps = Vec3{1, 2, 3};
  EXPECT_THROW(import_numpy(path, half), ArgumentError);
  NumpyGeometry explicit_geometry = half;
  explicit_geometry.spacing_mm = Vec3{0.5, 0.5, 2};
  const ImportedCase c = import_numpy(path, explicit_geometry);
  EXPECT_EQ(c.space.shape_xyz(), kShapeXyz);
  EXPECT_EQ(c.space.origin_lps(), (Vec3{1, 2, 3}));
  ASSERT_EQ(c.entries.size(), 2u);  // both arrays hold values above 1: label maps
  EXPECT_EQ(c.entries[0].name, "organs");
  EXPECT_EQ(c.entries[0].mask.labels(), table({{"label_2", 2}, {"label_5", 5}}));
}

TEST(Import, NumpyBinaryArraysBecomeStructures) {
  TempDir dir;
  LabelVolume mask = label_map();
  for (std::size_t i = 0; i < mask.size(); ++i) mask.set(i, mask.get(i) == 5 ? 1 : 0);
  const std::string npz = dir.file("b.npz");
  write_npz(npz, {{"liver", mask}});
  NumpyGeometry geometry;
  geometry.space = testing::oblique_space(kShapeXyz);
  const ImportedCase c = import_numpy(npz, geometry);
  ASSERT_EQ(c.structures.size(), 1u);
  EXPECT_EQ(c.structures[0].name, "liver");
  EXPECT_TRUE(c.structures[0].binary.equals(mask));
}

TEST(Import, SegNrrdLayersBecomeEntriesWithTheirValues) {
  TempDir dir;
  const Space space = testing::oblique_space(kShapeXyz);
  SegNrrd seg{space, {label_map(), label_map()}, {}};
  seg.segments.push_back({Label{"a", 2, Rgb{1, 2, 3}, {}, {}}, 0, "Segment_1", ""});
  seg.segments.push_back({Label{"b", 5, {}, {}, {}}, 0, "Segment_2", ""});
  seg.segments.push_back({Label{"c", 2, {}, {}, {}}, 1, "Segment_3", ""});
  const std::string path = dir.file("x.seg.nrrd");
  write_seg_nrrd(path, seg);
  const ImportedCase c = import_seg_nrrd(path);
  ASSERT_EQ(c.entries.size(), 2u);
  EXPECT_EQ(c.entries[0].name, "layer0");
  EXPECT_EQ(c.entries[0].mask.labels().at("a").color, (Rgb{1, 2, 3}));
  EXPECT_EQ(c.entries[1].mask.labels().at("c").value, 2u);
  // Layer 1 holds value 5 too, which no segment names: kept, reported.
  ASSERT_EQ(c.warnings.size(), 1u);
  EXPECT_EQ(c.warnings[0].kind, WarningKind::kUnnamedValues);
  EXPECT_NE(c.warnings[0].text.find("layer 1"), std::string::npos) << c.warnings[0].text;
}

TEST(Import, AddImportedPutsStructuresInTheCaseOrderAndRecodeKeepsThem) {
  TempDir dir;
  const Space space = testing::oblique_space(kShapeXyz);
  ImportedCase c;
  c.space = space;
  c.entries.push_back(
      {"layer0", SegmentationMask(label_map(), table({{"a", 2}, {"b", 5}}), space)});
  c.entries.push_back({"layer1", SegmentationMask(label_map(), table({{"c", 2}}), space)});
  c.groups.push_back({"ac", {"a", "c"}, {}});
  c.order = {"c", "a", "unknown"};  // names the archive lacks are skipped
  const std::string path = dir.file("o.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    add_imported(archive, c);
    archive.commit();
  }
  const auto names = [](const MaskArchive& archive) {
    std::vector<std::string> out;
    for (const StructureInfo& info : archive.structures()) out.push_back(info.name);
    return out;
  };
  EXPECT_EQ(names(MaskArchive(path, OpenMode::kRead)),
            (std::vector<std::string>{"c", "a", "b", "ac"}));
  {
    WriteOptions options;
    options.level = CompressionLevel::kMax;
    MaskArchive archive(path, OpenMode::kAppend, std::nullopt, options);
    archive.recode();
  }
  const MaskArchive recoded(path, OpenMode::kRead);
  EXPECT_EQ(names(recoded), (std::vector<std::string>{"c", "a", "b", "ac"}));
  for (const EntryInfo& entry : recoded.entries())
    EXPECT_EQ(entry.level, CompressionLevel::kMax) << entry.name;
  EXPECT_TRUE(recoded.load_mask("layer1").volume().equals(label_map()));
  EXPECT_EQ(recoded.structure("b").value, 5u);
}

TEST(Import, MedmaskV1EntriesAreKeptBitForBit) {
  const ImportedCase c =
      import_medmask_v1(std::string(MEDMASK_SOURCE_DIR) + "/tests/data/compat/organs_uint16.msk");
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].name, "organs_uint16");
  EXPECT_EQ(c.entries[0].mask.volume().dtype(), DType::kUInt16);
  EXPECT_EQ(c.entries[0].mask.labels().size(), 117u);
}

}  // namespace
}  // namespace medmask
