// container/cm_section.hpp: data sections of coding "medmask-cm1" (FORMAT.md 5.2): a label map
// as independent z-chunks coded by the MedMask label codec (src/codec/), stored back to back.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "container/index_json.hpp"
#include "medmask/archive.hpp"
#include "medmask/volume.hpp"

namespace medmask::detail {

struct CmSection {
  std::vector<std::uint8_t> bytes;  // the chunks, concatenated
  std::vector<ChunkRecord> chunks;  // offsets from the section's start
  std::string level;                // "fast", "default" or "max"
};

// Threads for coding one volume: at most 2, as the library shares the machine with its caller.
unsigned codec_threads() noexcept;

// Codes volume in z-chunks of chunk_depth (>= 1) slices; bool is coded as uint8 0/1.
CmSection encode_cm_section(const LabelVolume& volume, std::uint32_t chunk_depth,
                            CompressionLevel level);

// Inverse of encode_cm_section. section holds the record's length bytes (the entry checksum is
// the caller's); each chunk's checksum is verified before it is decoded. Throws FormatError
// naming path, field, the chunk and its byte offset (offset = the section's first byte).
LabelVolume decode_cm_section(std::span<const std::uint8_t> section, const EntryRecord& record,
                              const Shape3& shape_zyx, const std::string& path,
                              const std::string& field, std::uint64_t offset);

// Decodes chunk k alone into a volume of (depth of chunk k, y, x): bytes are the chunk's bytes,
// offset their first byte in the file. Verifies the chunk checksum first. Throws FormatError.
LabelVolume decode_cm_chunk(std::span<const std::uint8_t> bytes, const EntryRecord& record,
                            std::size_t k, const Shape3& shape_zyx, const std::string& path,
                            const std::string& field, std::uint64_t offset);

// Decodes chunk k of an entry into its slices of volume (the whole grid, of the entry's dtype,
// zero where nothing is decoded yet: only the chunk's crop box is written), leaving the other
// slices untouched. Verifies the chunk checksum first (FORMAT.md 6) and, for a
// bool entry, that every decoded voxel is 0 or 1. Throws FormatError naming the chunk.
void decode_cm_chunk_into(std::span<const std::uint8_t> bytes, const EntryRecord& record,
                          std::size_t k, LabelVolume& volume, const std::string& path,
                          const std::string& field, std::uint64_t offset);

}  // namespace medmask::detail
