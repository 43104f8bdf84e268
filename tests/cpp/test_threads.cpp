// Thread count (medmask/threads.hpp): MEDMASK_THREADS, else the cores this process may use; an
// archive's threads option changes nothing in what is written or read.
#include <sched.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "archive_test_support.hpp"
#include "medmask/threads.hpp"

namespace medmask::testing {
namespace {

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(Threads, DefaultIsTheAffinityOrTheEnvironment) {
  ::unsetenv("MEDMASK_THREADS");
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(default_threads(), static_cast<unsigned>(CPU_COUNT(&set)));
  ::setenv("MEDMASK_THREADS", "7", 1);
  EXPECT_EQ(default_threads(), 7u);
  EXPECT_EQ(resolve_threads(3), 3u);
  EXPECT_EQ(resolve_threads(0), 7u);
  ::setenv("MEDMASK_THREADS", "seven", 1);  // not a count: ignored
  EXPECT_EQ(default_threads(), static_cast<unsigned>(CPU_COUNT(&set)));
  ::unsetenv("MEDMASK_THREADS");
}

TEST(Threads, FilesAndReadsDoNotDependOnTheCount) {
  TempDir dir;
  const Space space = oblique_space({20, 18, 40});
  const Shape3 s = space.shape_zyx();
  const LabelVolume a = box(s, {1, 2, 3}, {30, 9, 12}), b = box(s, {20, 10, 5}, {38, 16, 18});
  std::vector<std::string> paths;
  for (const unsigned threads : {1u, 2u, 5u}) {
    WriteOptions options;
    options.threads = threads;
    options.chunk_depth = 4;  // ten chunks: work for every thread
    paths.push_back(dir.file("t" + std::to_string(threads) + ".mska"));
    MaskArchive archive(paths.back(), OpenMode::kWrite, space, options);
    archive.add_structure("a", a);
    archive.add_structure("b", b);
  }
  EXPECT_EQ(file_bytes(paths[0]), file_bytes(paths[1]));
  EXPECT_EQ(file_bytes(paths[0]), file_bytes(paths[2]));
  for (const unsigned threads : {1u, 3u}) {
    const MaskArchive archive(paths[0], ReadOptions{threads});
    EXPECT_EQ(archive.mode(), OpenMode::kRead);
    EXPECT_TRUE(archive.read_structure("a").equals(a));
    EXPECT_TRUE(archive.read_structure("b").equals(b));
  }
}

}  // namespace
}  // namespace medmask::testing
