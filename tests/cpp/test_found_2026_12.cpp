// test_found_2026_12.cpp: the defects an independent probe found in 2026-12 (SECURITY.md), as
// regression tests. The files live in tests/data/errors/found-2026-12 with expected.json naming,
// for each, the reader, the limits, the expected error kind and a fragment of its message.
// Defects without a file (races, names with NUL, seg.nrrd names with newlines) are built here.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "archive_test_support.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "medmask/export.hpp"
#include "medmask/limits.hpp"
#include "medmask/nifti.hpp"
#include "medmask/numpy_io.hpp"
#include "medmask/seg_nrrd.hpp"

namespace medmask {
namespace {

const std::string kFolder = "tests/data/errors/found-2026-12/";

std::optional<ErrorCode> code_named(const nlohmann::json& name) {
  if (name.is_null()) return std::nullopt;
  const std::string text = name.get<std::string>();
  if (text == "kFormat") return ErrorCode::kFormat;
  if (text == "kUnsupported") return ErrorCode::kUnsupported;
  if (text == "kLimit") return ErrorCode::kLimit;
  if (text == "kArgument") return ErrorCode::kArgument;
  throw std::invalid_argument("expected.json: unknown error kind " + text);
}

ReadLimits limits_from(const nlohmann::json& spec) {
  ReadLimits limits;
  if (spec.contains("limits") && spec["limits"].contains("max_voxels"))
    limits.max_voxels = spec["limits"]["max_voxels"].get<std::uint64_t>();
  return limits;
}

// Opens the file with its reader (and verifies it when asked); throws what the reader throws.
void open_and_check(const std::string& path, const nlohmann::json& spec) {
  const std::string reader = spec["reader"];
  const ReadLimits limits = limits_from(spec);
  if (reader == "npz") {
    (void)read_npz(path, limits);
  } else if (reader == "seg_nrrd") {
    (void)read_seg_nrrd(path, limits);
  } else {
    const MaskArchive archive(path, OpenMode::kRead, std::nullopt, {}, limits);
    if (spec.contains("structures")) {
      EXPECT_EQ(archive.structures().size(), spec["structures"].get<std::size_t>()) << path;
    }
    if (spec["stage"] == "verify") archive.verify_data();
  }
}

TEST(Found202612, EveryFileGivesItsExpectedAnswer) {
  std::ifstream in(kFolder + "expected.json");
  ASSERT_TRUE(in) << "run from the source root";
  const nlohmann::json manifest = nlohmann::json::parse(in);
  std::size_t files_here = 0;
  for (const auto& item : std::filesystem::directory_iterator(kFolder)) {
    if (item.path().filename() != "expected.json") ++files_here;
  }
  EXPECT_EQ(files_here, manifest["cases"].size()) << "every file needs its line in expected.json";
  for (const auto& [file, spec] : manifest["cases"].items()) {
    SCOPED_TRACE(file + " (defect " + std::to_string(spec["defect"].get<int>()) + ")");
    const std::optional<ErrorCode> expected = code_named(spec["error"]);
    try {
      open_and_check(kFolder + file, spec);
      EXPECT_FALSE(expected.has_value())
          << "no error; expected kind " << static_cast<int>(*expected);
    } catch (const Error& e) {
      ASSERT_TRUE(expected.has_value()) << "unexpected error: " << e.what();
      EXPECT_EQ(e.code(), *expected) << e.what();
      EXPECT_NE(std::string(e.what()).find(spec["message"].get<std::string>()), std::string::npos)
          << e.what();
    }
  }
}

Space small_space() {
  return Space({4, 3, 2}, {0.0, 0.0, 0.0}, {1.0, 1.0, 1.0},
               Mat3{{{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}});
}

LabelVolume one_voxel(std::int64_t x) {
  LabelVolume volume(DType::kUInt8, {2, 3, 4});
  volume.set(static_cast<std::size_t>(x), 1);
  return volume;
}

// Defect 2: a rewrite (compact) over a file another writer changed since it was opened.
TEST(Found202612, CompactRefusesAFileChangedByAnotherWriter) {
  testing::TempDir dir;
  const std::string path = dir.file("race.mska");
  {
    MaskArchive writer(path, OpenMode::kWrite, small_space());
    writer.add_structure("s0", one_voxel(0));
  }
  MaskArchive first(path, OpenMode::kAppend);
  {
    MaskArchive second(path, OpenMode::kAppend);
    second.add_structure("b1", one_voxel(1));
  }  // committed
  EXPECT_THROW(first.compact(), IoError);
  const MaskArchive after(path, OpenMode::kRead);
  EXPECT_TRUE(after.contains("b1")) << "the other writer's structure was lost";
}

// Defect 2: creating a missing file in append mode is exclusive; the second creator waits or
// fails, it never replaces what the first committed.
TEST(Found202612, TwoCreatorsInAppendModeKeepBothOrFail) {
  testing::TempDir dir;
  const std::string path = dir.file("create.mska");
  MaskArchive first(path, OpenMode::kAppend, small_space());
  MaskArchive second(path, OpenMode::kAppend, small_space());
  first.add_structure("a", one_voxel(0));
  second.add_structure("b", one_voxel(1));
  first.commit();
  bool second_committed = true;
  try {
    second.commit();
  } catch (const Error&) {
    second_committed = false;
  }
  const MaskArchive after(path, OpenMode::kRead);
  EXPECT_TRUE(after.contains("a")) << "the first creator's structure was lost";
  EXPECT_EQ(after.contains("b"), second_committed);
}

// Defect 8: names are data: UTF-8, no control characters (NUL, newline), bounded length.
TEST(Found202612, NamesWithControlCharactersAreRefused) {
  testing::TempDir dir;
  MaskArchive archive(dir.file("names.mska"), OpenMode::kWrite, small_space());
  for (const std::string& name : {std::string("a\0b", 3), std::string("liver\ndata file: /x"),
                                  std::string("\xff\xfe"), std::string(5000, 'n')}) {
    EXPECT_THROW(archive.add_structure(name, one_voxel(0)), ArgumentError) << name;
  }
  EXPECT_TRUE(archive.structures().empty());
}

// Lower severity: xform code 0 wrote a NIfTI with neither sform nor qform (geometry lost).
TEST(Found202612, NiftiWriterRefusesXformCodeZero) {
  testing::TempDir dir;
  NiftiWriteOptions options;
  options.xform_code = 0;
  EXPECT_THROW(write_nifti(dir.file("x.nii"), one_voxel(0), small_space(), options), ArgumentError);
  EXPECT_FALSE(std::filesystem::exists(dir.file("x.nii")));
}

}  // namespace
}  // namespace medmask
