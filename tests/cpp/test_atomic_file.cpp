// The one atomic writer (detail/atomic_file): a failed write leaves the old file and no
// temporary file; a new file gets the permissions of any new file (0666 less the umask); errors
// name the target, not the temporary, and give the system's reason. The format writers that use
// it are checked through their public functions.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "detail/atomic_file.hpp"
#include "detail/file_io.hpp"
#include "file_size_limit.hpp"
#include "medmask/error.hpp"
#include "medmask/nifti.hpp"
#include "medmask/numpy_io.hpp"
#include "medmask/seg_nrrd.hpp"
#include "temp_dir.hpp"

namespace medmask {
namespace {

using testing::FileSizeLimit;
using testing::TempDir;
namespace fs = std::filesystem;

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const std::string& path) {
  const std::vector<std::uint8_t> bytes = detail::read_file(path);
  return {bytes.begin(), bytes.end()};
}

std::vector<std::string> names_in(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(folder)) {
    names.push_back(item.path().filename().string());
  }
  return names;
}

mode_t mode_of(const std::string& path) {
  struct stat info {};
  EXPECT_EQ(::stat(path.c_str(), &info), 0) << path;
  return info.st_mode & 07777;
}

// Sets the umask for one scope.
class Umask {
 public:
  explicit Umask(mode_t mask) : old_(::umask(mask)) {}
  ~Umask() { ::umask(old_); }
  Umask(const Umask&) = delete;
  Umask& operator=(const Umask&) = delete;

 private:
  mode_t old_;
};

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(AtomicFile, ReplacesTheTargetAndLeavesNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  write_text(path, "old");
  detail::write_file_atomic(path, bytes_of("new contents"));
  EXPECT_EQ(read_text(path), "new contents");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, AnExceptionMidwayLeavesTheOldTargetAndNoTemporary) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  write_text(path, "old");
  EXPECT_THROW(detail::write_file_atomic_by_name(path,
                                                 [](const std::string& temporary) {
                                                   write_text(temporary, "half of the new");
                                                   throw std::runtime_error("writer failed");
                                                 }),
               std::runtime_error);
  EXPECT_EQ(read_text(path), "old");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.bin"});
  {
    detail::AtomicFileWriter writer(path);
    writer.append("new", 3);
    // destroyed without commit, as when an exception unwinds the caller
  }
  EXPECT_EQ(read_text(path), "old");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, AFailedWriteNamesTheTargetWithTheSystemsReason) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  write_text(path, "old");
  const std::string big(1 << 16, 'x');
  std::string message;
  {
    const FileSizeLimit limit(4096);
    try {
      detail::write_file_atomic(path, bytes_of(big));
    } catch (const IoError& e) {
      message = e.what();
      EXPECT_EQ(e.path(), path);
    }
  }
  EXPECT_NE(message.find(path + ": cannot write: " + std::strerror(EFBIG)), std::string::npos)
      << message;
  EXPECT_EQ(message.find(".tmp"), std::string::npos) << message;
  EXPECT_EQ(read_text(path), "old");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, ANewFileGetsTheModeOfAnyNewFile) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  write_text(path, "old");
  fs::permissions(path, fs::perms::owner_read | fs::perms::owner_write);
  for (const mode_t mask : {mode_t{0}, mode_t{022}, mode_t{077}}) {
    const Umask umask(mask);
    detail::write_file_atomic(path, bytes_of("new"));
    EXPECT_EQ(mode_of(path), 0666 & ~mask) << std::oct << mask;
  }
}

TEST(AtomicFile, AFileALibraryPutInPlaceOfTheTemporaryGetsTheSameMode) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  const Umask umask(022);
  // As libzip does: its own 0600 file, renamed over the name it was given.
  detail::write_file_atomic_by_name(path, [](const std::string& temporary) {
    const std::string own = temporary + ".lib";
    write_text(own, "written by the library");
    fs::permissions(own, fs::perms::owner_read | fs::perms::owner_write);
    fs::rename(own, temporary);
  });
  EXPECT_EQ(read_text(path), "written by the library");
  EXPECT_EQ(mode_of(path), mode_t{0644});
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, CommitNewRefusesATargetThatAppeared) {
  TempDir dir;
  const std::string path = dir.file("out.bin");
  {
    detail::AtomicFileWriter writer(path);
    writer.append("mine", 4);
    write_text(path, "theirs");
    EXPECT_THROW(writer.commit_new(), IoError);
  }
  EXPECT_EQ(read_text(path), "theirs");
  EXPECT_EQ(names_in(dir.path()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, EveryFormatWriterGivesTheModeOfANewFile) {
  TempDir dir;
  const Space space({4, 3, 2}, {0, 0, 0}, {1, 1, 1}, Mat3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}});
  LabelVolume volume(DType::kUInt8, space.shape_zyx());
  volume.set(5, 1);
  SegNrrd segmentation{space, {volume}, {}};
  SegNrrdSegment segment;
  segment.label.name = "a";
  segment.label.value = 1;
  segmentation.segments.push_back(segment);
  for (const mode_t mask : {mode_t{0}, mode_t{027}}) {
    const Umask umask(mask);
    const std::string nifti = dir.file("a.nii.gz");
    const std::string nrrd = dir.file("a.seg.nrrd");
    const std::string npz = dir.file("a.npz");
    write_nifti(nifti, volume, space);
    write_seg_nrrd(nrrd, segmentation);
    write_npz(npz, {{"a", volume}}, {});
    for (const std::string& path : {nifti, nrrd, npz}) {
      EXPECT_EQ(mode_of(path), 0666 & ~mask) << path << " umask " << std::oct << mask;
    }
  }
  EXPECT_EQ(names_in(dir.path()).size(), 3U);
}

}  // namespace
}  // namespace medmask
