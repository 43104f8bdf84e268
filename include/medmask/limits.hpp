// medmask/limits.hpp: ReadLimits, the caps every reader checks before it allocates.
//
// Files travel between sites; a reader meets truncated, corrupt and hostile files. Each reader
// (MaskArchive, NIfTI, .seg.nrrd, .npy/.npz, medmask 0.1.x, label files) compares the sizes a
// file declares with these limits and with what the file's own bytes can hold, and throws
// LimitError before allocating anything larger. The defaults accept every valid file of
// docs/FORMAT.md 8; lower them for untrusted input (fuzzers do), raise max_voxels for huge grids.
#pragma once

#include <cstdint>

namespace medmask {

struct ReadLimits {
  std::uint64_t max_voxels = std::uint64_t{1} << 34;        // per grid (x * y * z)
  std::uint64_t max_index_bytes = std::uint64_t{64} << 20;  // metadata: index JSON, headers
  std::uint64_t max_entries = 65536;                        // entries (label maps) in one archive
  std::uint64_t max_labels = 1000000;                       // labels (structures) over all entries
  std::uint32_t max_json_depth = 32;                        // nesting of the index JSON (<= 1024)
  std::uint32_t max_group_depth = 64;                       // groups nested in groups
  std::uint32_t max_name_bytes = 1024;                      // a structure, group or entry name
};

// The limits used when none are given.
inline constexpr ReadLimits kDefaultReadLimits{};

}  // namespace medmask
