// test_concurrency.cpp: readers and one writer at once (issue 15). A writer process appends
// structures one commit at a time while reader threads and reader processes keep reopening the
// file (and one thread keeps a handle opened at the start): every open succeeds, the structure
// count never goes down, and every structure read has exactly the voxels it was written with, so
// no reader sees a torn state. A second writer whose file changed under it gets a clear IoError
// at commit, and the other writer's structure is kept. Also run under ThreadSanitizer
// (`make test-tsan`).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "archive_test_support.hpp"
#include "container/file_reader.hpp"
#include "container/format_constants.hpp"
#include "container/header.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "sample_archives.hpp"

namespace medmask::testing {
namespace {

constexpr int kAppends = 16;

// The voxels of appended structure i ("app<i>"), so that any reader can check them.
LabelVolume appended_voxels(int i) {
  return fuzz::blob(fuzz::small_space(), i % 9, (i * 3) % 11, (i * 5) % 14, 1 + i % 3, i % 2 == 0);
}

// One pass of a reader over the file; returns what is wrong ("" when nothing) and the count.
std::string read_once(const MaskArchive& archive, std::size_t* count) {
  std::size_t seen = 0;
  for (const StructureInfo& info : archive.structures()) {
    if (info.name.rfind("app", 0) != 0 || info.is_group()) continue;
    const int i = std::stoi(info.name.substr(3));
    if (!archive.read_structure(info.name).equals(appended_voxels(i)))
      return "torn read of " + info.name;
    ++seen;
  }
  *count = seen;
  return {};
}

// Reopens and reads until every append is seen or the time is up.
std::string keep_reading(const std::string& path) {
  std::size_t last = 0;
  const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < end) {
    std::size_t count = 0;
    try {
      const MaskArchive archive(path, OpenMode::kRead);
      if (std::string problem = read_once(archive, &count); !problem.empty()) return problem;
    } catch (const Error& e) {
      return std::string("open or read failed: ") + e.what();
    }
    if (count < last) return "structures disappeared";
    last = count;
    if (count == kAppends) return {};
  }
  return "the writer's appends never all showed";
}

TEST(Concurrency, ReadersNeverSeeATornStateWhileOneWriterAppends) {
  TempDir dir;
  const std::string path = dir.file("shared.mska");
  fuzz::write_sample_archive(path, fuzz::sample_layouts()[1]);

  // Processes first (fork before any thread of this process exists).
  std::vector<pid_t> readers;
  for (int r = 0; r < 2; ++r) {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(keep_reading(path).empty() ? 0 : 1);
    readers.push_back(pid);
  }
  const pid_t writer = ::fork();
  if (writer == 0) {
    try {
      for (int i = 0; i < kAppends; ++i) {
        MaskArchive archive(path, OpenMode::kAppend);
        archive.add_structure("app" + std::to_string(i), appended_voxels(i), {}, false);
        archive.commit();
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // let the readers interleave
      }
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }

  const MaskArchive held(path, OpenMode::kRead);  // opened before most appends
  std::vector<std::string> problems(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 3; ++t)
    threads.emplace_back([&, t] { problems[t] = keep_reading(path); });
  threads.emplace_back([&] {
    std::size_t count = 0;
    for (int pass = 0; pass < 20 && problems[3].empty(); ++pass)
      problems[3] = read_once(held, &count);
  });
  for (std::thread& thread : threads) thread.join();
  for (const std::string& problem : problems) EXPECT_EQ(problem, "");

  int status = 0;
  ASSERT_EQ(::waitpid(writer, &status, 0), writer);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the writer failed";
  for (const pid_t reader : readers) {
    ASSERT_EQ(::waitpid(reader, &status, 0), reader);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
        << "a reader process saw a torn state";
  }
}

// The moment the stress test above can hit only by chance: a reader took the file's size, then
// an in-place append grew the file and wrote its new header, then the reader read that header.
// The reader must take the size again after the header (FORMAT.md 7), not report a truncation.
TEST(Concurrency, ASizeTakenBeforeAnAppendIsTakenAgain) {
  TempDir dir;
  const std::string path = dir.file("grows.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, fuzz::small_space());
    archive.add_structure("app0", appended_voxels(0));
  }
  container::FileReader reader(path);  // the size at open: before the append
  const std::uint64_t before = reader.size();
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.add_structure("app1", appended_voxels(1));
  }
  const auto head = reader.read(0, container::kHeaderSize);  // the new header
  EXPECT_THROW(container::decode_header(head, before, path, ReadLimits{}), FormatError);
  reader.refresh_size();
  EXPECT_GT(reader.size(), before);
  EXPECT_NO_THROW(container::decode_header(head, reader.size(), path, ReadLimits{}));
}

TEST(Concurrency, ASecondWriterGetsAClearError) {
  TempDir dir;
  const std::string path = dir.file("two_writers.mska");
  fuzz::write_sample_archive(path, fuzz::sample_layouts()[0]);
  MaskArchive first(path, OpenMode::kAppend);
  {
    MaskArchive second(path, OpenMode::kAppend);
    second.add_structure("from_second", appended_voxels(1), {}, false);
    second.commit();
  }
  first.add_structure("from_first", appended_voxels(2), {}, false);
  try {
    first.commit();
    FAIL() << "the first writer committed over the second one's change";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("changed since it was opened"), std::string::npos)
        << e.what();
  }
  first.discard();
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.contains("from_second"));
  EXPECT_FALSE(archive.contains("from_first"));
  EXPECT_TRUE(archive.read_structure("from_second").equals(appended_voxels(1)));
}

}  // namespace
}  // namespace medmask::testing
