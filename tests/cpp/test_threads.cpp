// Thread count (medmask/threads.hpp): MEDMASK_THREADS, else the cores this process may use; an
// archive's threads option changes nothing in what is written or read.
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>
#include <vector>

#include "archive_test_support.hpp"
#include "detail/parallel_for.hpp"
#include "medmask/error.hpp"
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

// The pool behind parallel_for (detail/thread_pool): every job runs once, the first exception
// comes back after all jobs ended, a job may itself call parallel_for, and a forked child (whose
// copy of the pool has no threads) still runs parallel work.
TEST(Threads, ParallelForRunsEveryJobOnceAndRethrows) {
  for (const unsigned threads : {1u, 2u, 8u}) {
    std::vector<std::atomic<int>> runs(1000);
    detail::parallel_for(runs.size(), threads, [&](std::size_t i) { ++runs[i]; });
    for (const auto& count : runs) ASSERT_EQ(count.load(), 1);
    std::atomic<int> ended{0};
    EXPECT_THROW(detail::parallel_for(100, threads,
                                      [&](std::size_t i) {
                                        ++ended;
                                        if (i % 10 == 3) throw ArgumentError("job failed");
                                      }),
                 ArgumentError);
    EXPECT_EQ(ended.load(), 100);  // the other jobs still ran
  }
}

// Whether two jobs of one parallel_for run at the same time: each waits (up to 5 s) for the
// other to start. Without a second thread the first job waits alone and gives up.
bool two_jobs_meet() {
  std::atomic<int> started{0};
  std::atomic<bool> met{true};
  detail::parallel_for(2, 2, [&](std::size_t) {
    ++started;
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (started.load() < 2 && std::chrono::steady_clock::now() < end) std::this_thread::yield();
    if (started.load() < 2) met = false;
  });
  return met.load();
}

TEST(Threads, ParallelForNestsAndSurvivesFork) {
  std::atomic<int> inner{0};
  detail::parallel_for(
      8, 4, [&](std::size_t) { detail::parallel_for(8, 4, [&](std::size_t) { ++inner; }); });
  EXPECT_EQ(inner.load(), 64);
  EXPECT_TRUE(two_jobs_meet());  // the pool's threads exist here
#if defined(__SANITIZE_ADDRESS__)
  // Under ASan with leak detection a thread started in a forked child of a multi-threaded
  // process may not run for seconds (the sanitizer runtime's own state after fork; seen in CI,
  // and with a 20-line program using only detail/thread_pool). The release build checks it.
  GTEST_SKIP() << "fork check skipped under AddressSanitizer";
#endif
  const pid_t child = ::fork();  // the child inherits the pool but none of its threads
  ASSERT_GE(child, 0);
  if (child == 0) ::_exit(two_jobs_meet() ? 0 : 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "no second thread after fork";
}

}  // namespace
}  // namespace medmask::testing
