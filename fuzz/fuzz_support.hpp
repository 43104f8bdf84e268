// fuzz/fuzz_support.hpp: helpers shared by the libFuzzer targets (and their replay driver).
//
// Most readers take a path, so a target writes its input to one scratch file per process and
// suffix, reused by every run (in $TMPDIR, /dev/shm when there is none: no disk traffic).
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "medmask/error.hpp"
#include "medmask/limits.hpp"
#include "medmask/space.hpp"

namespace medmask::fuzz {

// Grids larger than this are opened and listed but not decoded: a fuzzer that allocates
// gigabytes per run explores nothing (the readers' own limits are tested elsewhere).
inline constexpr std::uint64_t kMaxDecodedVoxels = std::uint64_t{1} << 22;

// The readers' limits with the voxel cap lowered to kMaxDecodedVoxels: what every target passes.
inline medmask::ReadLimits fuzz_limits() {
  medmask::ReadLimits limits;
  limits.max_voxels = kMaxDecodedVoxels;
  return limits;
}

inline bool too_large_to_decode(const medmask::Space& space) {
  const medmask::Shape3 shape = space.shape_zyx();
  std::uint64_t voxels = 1;
  for (const std::int64_t extent : shape) voxels *= static_cast<std::uint64_t>(extent);
  return voxels > kMaxDecodedVoxels;
}

inline std::string scratch_path(const std::string& suffix) {
  const char* dir = std::getenv("TMPDIR");
  std::string folder = dir != nullptr && *dir != '\0' ? dir : "/dev/shm";
  if (access(folder.c_str(), W_OK) != 0) folder = "/tmp";
  return folder + "/medmask_fuzz_" + std::to_string(getpid()) + suffix;
}

inline void remove_scratch_files() {
  for (const char* suffix : {".mska", ".seg.nrrd", ".npz", ".msk"})
    std::remove(scratch_path(suffix).c_str());
}

// Writes the input to the scratch file for suffix and returns its path. The files go at exit.
inline std::string write_scratch(const std::uint8_t* data, std::size_t size,
                                 const std::string& suffix) {
  static const bool cleanup_registered = std::atexit(remove_scratch_files) == 0;
  (void)cleanup_registered;
  std::string path = scratch_path(suffix);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) std::abort();  // the harness itself failed, not the reader
  return path;
}

// Runs body; a typed medmask error is the expected answer to bad input. Anything else
// (std::bad_alloc, a library exception leaking through, a crash) is a finding.
template <class Body>
int expect_typed_errors(Body&& body) {
  try {
    body();
  } catch (const medmask::Error&) {
  }
  return 0;
}

}  // namespace medmask::fuzz
