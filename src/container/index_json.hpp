// container/index_json.hpp: the archive index, a JSON document (FORMAT.md 4), and its schema
// checks. The index is the section table of the archive: it names every data section.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "container/format_constants.hpp"
#include "container/read_limits.hpp"
#include "medmask/label_table.hpp"
#include "medmask/mask.hpp"
#include "medmask/space.hpp"
#include "medmask/volume.hpp"

namespace medmask::container {

enum class EntryKind { kMask, kLayer };

// One z-chunk of a "medmask-cm1" section (FORMAT.md 4.3.1), or one tile of a "medmask-cm1-tiles"
// section (4.3.2); offset is from the section's start. A tile of length 0 is empty: every voxel
// 0, no bytes, no checksum (xxh3 0).
struct ChunkRecord {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::uint64_t xxh3 = 0;
};

// Since 1.3 (required feature bit 2): a layer coded against an earlier layer, its `entry`
// (FORMAT.md 4.3.3). Each tile is predicted from the same tile of that layer, whose value a is
// translated to b for each pair (a, b) of map (0 for values not listed); a tile of length 0 then
// equals its prediction.
struct LayerReference {
  std::string entry;  // empty: the layer is coded alone
  std::vector<std::pair<std::uint32_t, std::uint32_t>> map;
  bool present() const { return !entry.empty(); }
};

// One data section and what it holds (FORMAT.md 4.3).
struct EntryRecord {
  std::string name;
  EntryKind kind = EntryKind::kMask;
  DType dtype = DType::kUInt8;
  std::string coding = "zstd";   // unknown codings fail only when the entry is decoded
  std::uint64_t offset = 0;      // of the data section, from the file start
  std::uint64_t length = 0;      // of the data section
  std::uint64_t raw_length = 0;  // decoded bytes: voxels * dtype_size
  std::uint64_t xxh3 = 0;        // of the length bytes at offset
  // "medmask-cm1" only: slices per chunk, the chunk table (contiguous, covering the section) and
  // the codec level ("fast", "default", "max"; informational, empty when absent).
  std::uint32_t chunk_depth = 0;
  std::vector<ChunkRecord> chunks;
  std::string level;
  // "medmask-cm1-tiles" only (FORMAT.md 4.3.2): rows and columns per tile; `chunks` then holds
  // the tiles in (z, y, x) order of the tile grid. 0 for other codings.
  std::uint32_t tile_y = 0;
  std::uint32_t tile_x = 0;
  bool tiled() const { return tile_y != 0; }
  LayerReference reference;  // "medmask-cm1-tiles" layers only
  LabelTable labels;
  std::map<std::uint32_t, LabelStats> stats;  // non-zero values present; absent = 0 voxels
};

// A named union of structures and other groups, stored as a definition (FORMAT.md 4.6).
struct GroupRecord {
  Label label;  // name, colour, description, coded concept; value unused (0)
  std::vector<std::string> members;
  LabelStats stats;  // of the union
  // Since 1.3: made by the writer from a structure given as voxels that equals the union; its
  // members may still be removed or replaced (the group then gets its voxels back).
  bool recognised = false;
};

struct IndexRecord {
  std::uint16_t version_major = kVersionMajor;
  std::uint16_t version_minor = kVersionMinor;
  Space space;
  std::vector<EntryRecord> entries;
  std::vector<std::string> structure_order;  // every structure name once, in insertion order
  std::vector<GroupRecord> groups;           // since 1.2; in definition order
};

// Structure names in the order their first labels appear in the entries.
std::vector<std::string> label_order(const std::vector<EntryRecord>& entries);

// UTF-8 JSON text of the index.
std::string encode_index_json(const IndexRecord& index);

// Parses and validates the index text. index_offset is where the index section starts (for
// messages); file_length bounds the data sections; split_structures (required feature bit 0)
// allows a structure name in several layer entries, layer_references (bit 2) a layer's
// `reference`. Throws FormatError naming the field, UnsupportedError (unknown coding),
// LimitError (beyond limits).
IndexRecord decode_index_json(std::string_view text, const std::string& path,
                              std::uint64_t index_offset, std::uint64_t file_length,
                              const ReadLimits& limits, bool split_structures,
                              bool layer_references = false);

}  // namespace medmask::container
