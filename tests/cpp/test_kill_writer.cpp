// test_kill_writer.cpp: crash safety at scale (issue 15). A child process opens a sample archive
// for appending, does one change (add, replace, remove, add or remove a group, compact), commits
// and exits; the parent SIGKILLs it after a random delay spanning the change. Afterwards the file
// must open and hold exactly the old or the new state, entry by entry (names, group members,
// voxels), and take a further append; temporary files left behind are counted, must not disturb
// anything, and are removed. MEDMASK_KILL_TRIALS picks the number of kills (default 30; `make
// kill-full` runs 1,200). The folder is on /dev/shm when there is one: a killed process (unlike
// a power cut) loses nothing that reached the kernel, so fsync only costs time here.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "archive_test_support.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "sample_archives.hpp"

namespace medmask::testing {
namespace {

namespace fs = std::filesystem;

// What a reader sees: every structure and group, its voxels and members.
struct State {
  std::vector<std::string> names;
  std::map<std::string, std::vector<std::string>> members;
  std::map<std::string, LabelVolume> voxels;
};

State read_state(const std::string& path) {
  const MaskArchive archive(path, OpenMode::kRead);
  State state;
  for (const StructureInfo& info : archive.structures()) {
    state.names.push_back(info.name);
    state.members[info.name] = info.members;
    state.voxels[info.name] = archive.read_structure(info.name);
  }
  return state;
}

bool same(const State& a, const State& b) {
  if (a.names != b.names || a.members != b.members) return false;
  for (const auto& [name, volume] : a.voxels)
    if (!volume.equals(b.voxels.at(name))) return false;
  return true;
}

struct Change {
  const char* name;
  int base;  // 0: no groups (zstd, appended once), 1: groups (medmask-cm1, appended once)
  std::function<void(MaskArchive&)> apply;
};

std::vector<Change> changes() {
  const Space space = fuzz::small_space();
  return {
      {"add", 0,
       [space](MaskArchive& a) {
         a.add_structure("stomach", fuzz::blob(space, 5, 2, 6, 2, true));
       }},
      {"replace", 0,
       [space](MaskArchive& a) {
         a.replace_structure("liver", fuzz::blob(space, 3, 6, 4, 2, false));
       }},
      {"remove", 0, [](MaskArchive& a) { a.remove("overlap"); }},
      {"compact", 0, [](MaskArchive& a) { a.compact(); }},
      {"add_group", 1,
       [](MaskArchive& a) {
         a.add_group("pair", std::vector<std::string>{"liver", "kidney"});
       }},
      {"remove_group", 1, [](MaskArchive& a) { a.remove("all"); }},
      {"add_to_groups", 1,
       [space](MaskArchive& a) {
         a.add_structure("stomach", fuzz::blob(space, 5, 2, 6, 2, true));
       }},
      {"compact_groups", 1, [](MaskArchive& a) { a.compact(); }},
  };
}

fs::path work_folder() {
  const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
  fs::path folder = base / ("medmask_kill_" + std::to_string(::getpid()));
  fs::remove_all(folder);
  fs::create_directories(folder);
  return folder;
}

// Runs change on path in a child; kills it after delay_us (never when negative). True when the
// child finished on its own with status 0.
bool run_child(const std::string& path, const Change& change, long delay_us) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    try {
      MaskArchive archive(path, OpenMode::kAppend);
      change.apply(archive);
      archive.commit();
    } catch (...) {
      ::_exit(3);
    }
    ::_exit(0);
  }
  if (delay_us >= 0) {
    const timespec pause{delay_us / 1000000, (delay_us % 1000000) * 1000};
    ::nanosleep(&pause, nullptr);
    ::kill(pid, SIGKILL);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

TEST(KillWriter, EveryKillLeavesTheOldOrTheNewState) {
  const fs::path folder = work_folder();
  const std::string path = (folder / "case.mska").string();
  std::vector<std::vector<std::uint8_t>> bases;
  for (const char* layout_name : {"zstd_appended", "appended"}) {
    for (const fuzz::SampleLayout& layout : fuzz::sample_layouts())
      if (std::string(layout.name) == layout_name) fuzz::write_sample_archive(path, layout);
    bases.push_back(read_bytes(path));
  }

  // Calibration: each change once, unkilled: its new state and how long it takes.
  const std::vector<Change> all = changes();
  std::vector<State> old_states, new_states;
  std::vector<long> durations_us;
  for (const Change& change : all) {
    write_bytes(path, bases[static_cast<std::size_t>(change.base)]);
    old_states.push_back(read_state(path));
    const auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(run_child(path, change, -1)) << change.name;
    durations_us.push_back(static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                 std::chrono::steady_clock::now() - start)
                                                 .count()));
    new_states.push_back(read_state(path));
    const bool compaction = std::string(change.name).starts_with("compact");
    // compact keeps the state (and must: a kill then can only leave that state) but not the bytes
    if (compaction) {
      EXPECT_TRUE(same(old_states.back(), new_states.back())) << change.name;
      EXPECT_LT(fs::file_size(path), bases[static_cast<std::size_t>(change.base)].size());
    } else {
      ASSERT_FALSE(same(old_states.back(), new_states.back())) << change.name << " changed nothing";
    }
  }

  const char* env = std::getenv("MEDMASK_KILL_TRIALS");
  const long trials = env != nullptr && *env != '\0' ? std::stol(env) : 30;
  std::mt19937_64 random(20261202);
  long saw_old = 0, saw_new = 0, leftovers = 0;
  for (long trial = 0; trial < trials; ++trial) {
    const std::size_t which = static_cast<std::size_t>(trial) % all.size();
    const Change& change = all[which];
    write_bytes(path, bases[static_cast<std::size_t>(change.base)]);
    const long delay =
        static_cast<long>(random() % static_cast<std::uint64_t>(durations_us[which] * 5 / 4 + 1));
    run_child(path, change, delay);

    State state;
    try {
      state = read_state(path);
    } catch (const Error& e) {
      FAIL() << change.name << " killed after " << delay
             << " us: the file does not open: " << e.what();
    }
    if (same(state, old_states[which])) {
      ++saw_old;
    } else if (same(state, new_states[which])) {
      ++saw_new;
    } else {
      FAIL() << change.name << " killed after " << delay
             << " us: neither the old nor the new state";
    }
    for (const auto& item : fs::directory_iterator(folder))
      if (item.path() != path) ++leftovers;
    {  // a later writer is not disturbed by a dead one or its temporary files
      MaskArchive archive(path, OpenMode::kAppend);
      archive.add_structure("after_kill", fuzz::blob(fuzz::small_space(), 1, 1, 1, 1, true));
      archive.commit();
    }
    EXPECT_TRUE(MaskArchive(path, OpenMode::kRead).contains("after_kill"));
    for (const auto& item : fs::directory_iterator(folder))
      if (item.path() != path) fs::remove(item.path());
  }
  std::cout << "kills: " << trials << ", old state: " << saw_old << ", new state: " << saw_new
            << ", temporary files left behind: " << leftovers << '\n';
  fs::remove_all(folder);
}

}  // namespace
}  // namespace medmask::testing
