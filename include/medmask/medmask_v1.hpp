// medmask/medmask_v1.hpp: reading files written by the original Python medmask 0.1.x.
//
// Format 1.0 has two kinds of file: `MSK1` (.msk, one SegmentationMask) and `MSKA` (.mska, an
// archive of named SegmentationMasks). Both hold a Space as JSON in (x, y, z) order, name->label
// mappings as JSON and zstd-compressed numpy (z, y, x) arrays. See docs/MEDMASK_V1.md.
#pragma once

#include <string>
#include <vector>

#include "medmask/limits.hpp"
#include "medmask/mask.hpp"

namespace medmask {

struct LegacyEntry {
  std::string name;  // archive entry name; for a .msk file, the file name without extension
  SegmentationMask mask;
};

struct LegacyFile {
  std::string magic;  // "MSK1" or "MSKA"
  Space space;
  std::vector<LegacyEntry> entries;
};

// True when the file starts with the magic "MSK1" or "MSKA". Never throws for a missing file.
bool is_medmask_v1_file(const std::string& path) noexcept;

// Reads every entry. Throws IoError, FormatError (bad magic, offsets beyond the file, corrupt
// JSON or zstd data, array size that does not match its shape), UnsupportedError (a version other
// than 1.x, a codec other than zstd, an array dtype MedMask cannot hold), LimitError (an array
// beyond limits.max_voxels, or larger than its zstd frame can hold).
LegacyFile read_medmask_v1(const std::string& path, const ReadLimits& limits = {});

}  // namespace medmask
