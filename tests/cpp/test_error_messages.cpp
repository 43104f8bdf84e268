// The wording of errors a user reads (issue 17, "weaker errors to mend"): they say what is wrong
// in the user's terms, with the name that was close, the shape that would fit, and no byte
// offsets of foreign files or C++ spellings.
#include <gtest/gtest.h>

#include <string>

#include "archive_test_support.hpp"
#include "medmask/archive.hpp"
#include "medmask/dicom_seg.hpp"
#include "medmask/error.hpp"
#include "medmask/export.hpp"
#include "medmask/import.hpp"
#include "medmask/label_table.hpp"
#include "medmask/medmask_v1.hpp"
#include "medmask/nifti.hpp"
#include "medmask/numpy_io.hpp"

namespace medmask {
namespace {

using testing::TempDir;

const Mat3 kIdentity{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

const std::string kErrors = std::string(MEDMASK_SOURCE_DIR) + "/tests/data/errors/nifti/";

template <class E, class F>
std::string message_of(F&& call) {
  try {
    call();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an error";
  return {};
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(ErrorMessages, UnknownLabelSuggestsTheNameDifferingInCase) {
  LabelTable table;
  table.add("liver", 1);
  table.add("spleen", 2);
  const std::string message = message_of<NotFoundError>([&] { (void)table.at("Liver"); });
  EXPECT_TRUE(has(message, "unknown structure 'Liver' (did you mean 'liver'?)")) << message;
  const std::string far = message_of<NotFoundError>([&] { (void)table.at("kidney"); });
  EXPECT_FALSE(has(far, "did you mean")) << far;
}

TEST(ErrorMessages, NiftiImportErrorsCiteNoByteOffsets) {
  const std::string truncated = kErrors + "truncated_data.nii.gz";
  try {
    (void)read_nifti(truncated);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(e.offset(), std::optional<std::uint64_t>(352));  // kept for programs
    EXPECT_TRUE(has(e.what(), truncated + ": truncated: the voxel data needs")) << e.what();
    EXPECT_FALSE(has(e.what(), "byte 352")) << e.what();
  }
  const std::string values =
      message_of<ArgumentError>([&] { (void)read_nifti(kErrors + "float_non_integer.nii.gz"); });
  EXPECT_TRUE(has(values, "not a label image: 60 non-integer values")) << values;
  EXPECT_FALSE(has(values, "at byte")) << values;
  const std::string gzip = message_of<FormatError>(
      [&] { (void)read_nifti_bytes(std::vector<std::uint8_t>(400, 0x1f), "x.nii.gz"); });
  EXPECT_FALSE(has(gzip, "at byte")) << gzip;
}

TEST(ErrorMessages, MedmaskV1ErrorsNameTheEntryNotItsOffset) {
  TempDir dir;
  const std::string path = dir.file("ribs.mska");
  std::vector<std::uint8_t> bytes =
      testing::read_bytes(std::string(MEDMASK_SOURCE_DIR) + "/tests/data/compat/ribs.mska");
  testing::write_bytes(path, std::vector<std::uint8_t>(bytes.begin(), bytes.end() - 40));
  const std::string message = message_of<FormatError>([&] { (void)read_medmask_v1(path); });
  EXPECT_TRUE(has(message, path + ": ")) << message;
  EXPECT_FALSE(has(message, "at byte")) << message;
}

TEST(ErrorMessages, TransposedNumpyArraySaysToTranspose) {
  TempDir dir;
  const std::string path = dir.file("xyz.npz");
  write_npz(path, {{"organs", LabelVolume(DType::kUInt8, {4, 3, 2})}});
  NumpyGeometry geometry;
  geometry.space = Space({4, 3, 2}, {0, 0, 0}, {1, 1, 1}, kIdentity);  // (z, y, x) = (2, 3, 4)
  const std::string message =
      message_of<ArgumentError>([&] { (void)import_numpy(path, geometry); });
  EXPECT_TRUE(has(message, "array 'organs': array shape (4, 3, 2) is the space's (x, y, z)"))
      << message;
  EXPECT_TRUE(has(message, "expected (2, 3, 4)") && has(message, "transposed")) << message;
}

TEST(ErrorMessages, ReadOnlyArchiveSpeaksNoCpp) {
  TempDir dir;
  const std::string path = dir.file("case.mska");
  const Space space({4, 3, 2}, {0, 0, 0}, {1, 1, 1}, kIdentity);
  {
    MaskArchive(path, OpenMode::kWrite, space)
        .add_structure("a", testing::box({2, 3, 4}, {0, 0, 0}, {0, 0, 0}));
  }
  MaskArchive archive(path, OpenMode::kRead);
  const std::string message = message_of<ArgumentError>([&] {
    archive.add_structure("b", testing::box({2, 3, 4}, {0, 0, 0}, {0, 0, 0}));
  });
  EXPECT_TRUE(has(message, "open for reading only")) << message;
  EXPECT_FALSE(has(message, "::")) << message;
}

TEST(ErrorMessages, OutputInAMissingFolderIsNamedNotItsTemporaryFile) {
  TempDir dir;
  const Space space({4, 3, 2}, {0, 0, 0}, {1, 1, 1}, kIdentity);
  const LabelVolume a = testing::box({2, 3, 4}, {0, 0, 0}, {1, 1, 1});
  const std::string missing = dir.file("missing");
  const auto expect_named = [&](const std::string& out, auto&& write) {
    const std::string message = message_of<IoError>(write);
    EXPECT_TRUE(has(message, out + ": cannot write it: folder " + missing + " does not exist"))
        << message;
    EXPECT_FALSE(has(message, ".tmp")) << message;
  };
  const std::string archive_path = dir.file("case.mska");
  { MaskArchive(archive_path, OpenMode::kWrite, space).add_structure("a", a); }
  const MaskArchive archive(archive_path, OpenMode::kRead);
  const std::string mska = missing + "/case.mska";
  expect_named(mska, [&] {
    MaskArchive out(mska, OpenMode::kWrite, space);
    out.add_structure("a", a);
    out.commit();  // the destructor would swallow the error
  });
  const std::string nii = missing + "/a.nii.gz";
  expect_named(nii, [&] { write_nifti(nii, a, space); });
  const std::string npz = missing + "/case.npz";
  expect_named(npz, [&] { (void)export_archive(archive, ExportFormat::kNpz, npz); });
  const std::string nrrd = missing + "/case.seg.nrrd";
  expect_named(nrrd, [&] { (void)export_archive(archive, ExportFormat::kSegNrrd, nrrd); });
  const std::string multi = missing + "/case.nii.gz";
  expect_named(multi,
               [&] { (void)export_archive(archive, ExportFormat::kNiftiMultilabel, multi); });
  const std::string dcm = missing + "/seg.dcm";
  expect_named(dcm, [&] { (void)export_dicom_seg(archive, dcm); });
}

}  // namespace
}  // namespace medmask
