// container/cm_section.hpp: data sections of codings "medmask-cm1" (FORMAT.md 5.2) and, since 1.3,
// "medmask-cm1-tiles" (5.3): a label map as independent units (z-chunks, or y/x tiles of z-chunks)
// coded by the MedMask label codec (src/codec/), stored back to back.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "container/index_json.hpp"
#include "container/slab.hpp"
#include "medmask/archive.hpp"
#include "medmask/volume.hpp"

namespace medmask::container {

struct CmSection {
  std::vector<std::uint8_t> bytes;  // the units, concatenated
  std::vector<ChunkRecord> chunks;  // offsets from the section's start; empty tiles have length 0
  std::string level;                // "fast", "default" or "max"
};

// Codes volume in z-chunks of chunk_depth (>= 1) slices, each cut into tiles of tile_y rows by
// tile_x columns, or whole ("medmask-cm1") when tile_y is 0. bool is coded as uint8 0/1.
// predicted (tiles only): the prediction of the whole volume from a reference layer (same dtype,
// FORMAT.md 5.3.1); a tile equal to its prediction is then stored as empty.
CmSection encode_cm_section(const LabelVolume& volume, std::uint32_t chunk_depth,
                            std::uint32_t tile_y, std::uint32_t tile_x, CompressionLevel level,
                            unsigned threads, const LabelVolume* predicted = nullptr);

// Where unit k (chunk or tile) of an entry lies in the grid: its first voxel (z, y, x) and shape.
struct UnitBox {
  Shape3 origin_zyx{};
  Shape3 shape_zyx{};
};
UnitBox unit_box(const EntryRecord& record, std::size_t k, const Shape3& shape_zyx);

// Inverse of encode_cm_section. section holds the record's length bytes (the entry checksum is
// the caller's); each chunk's checksum is verified before it is decoded. Throws FormatError
// naming path, field, the chunk and its byte offset (offset = the section's first byte).
// reference: the decoded volume of record.reference's layer (required when it is present).
LabelVolume decode_cm_section(std::span<const std::uint8_t> section, const EntryRecord& record,
                              const Shape3& shape_zyx, const std::string& path,
                              const std::string& field, std::uint64_t offset, unsigned threads,
                              const LabelVolume* reference = nullptr);

// Whether decoding a tile of a layer with a reference needs the reference's tile: an empty
// tile (its prediction) or a stream coded against it.
bool tile_uses_reference(std::span<const std::uint8_t> bytes);

// Decodes unit k (chunk or non-empty tile) alone, keeping only its crop box: a slab of the labels
// and where they lie in the grid (shape_zyx); a unit of zeros gives one voxel of 0 at the unit's
// origin. bytes are the unit's bytes, offset their first byte in the file. Verifies the unit's
// checksum first, and for a bool entry that every voxel is 0 or 1. Throws FormatError.
// reference: for a layer with a reference (then required), the slab of the same tile of the
// reference layer; an empty tile of such a layer is its prediction.
Slab decode_cm_chunk(std::span<const std::uint8_t> bytes, const EntryRecord& record, std::size_t k,
                     const Shape3& shape_zyx, const std::string& path, const std::string& field,
                     std::uint64_t offset, const Slab* reference = nullptr);

// For decoding unit k straight into a structure's mask: where its labels lie in the grid (its crop
// box; a shape of zeros for a unit of zeros) when its stream codes 0 and `label` alone (stream
// modes 4 and 6, FORMAT.md A.5.6 and A.5.8: the decoder writes no other value), std::nullopt for
// any other stream (and in a layer with a reference). Verifies the unit's checksum first; throws
// FormatError.
std::optional<UnitBox> single_label_crop(std::span<const std::uint8_t> bytes,
                                         const EntryRecord& record, std::size_t k,
                                         const Shape3& shape_zyx, std::uint64_t label,
                                         const std::string& path, const std::string& field,
                                         std::uint64_t offset);

// Decodes unit k (uint8 or bool) into `slices`: zeros of the grid's rows and columns whose first
// slice is z_begin (<= the unit's first slice, and the unit ends within them). Only the unit's
// crop box rows that hold labels are written. Throws FormatError naming the unit.
void decode_unit_into(std::span<const std::uint8_t> bytes, const EntryRecord& record, std::size_t k,
                      const Shape3& shape_zyx, std::uint8_t* slices, std::int64_t z_begin,
                      const std::string& path, const std::string& field, std::uint64_t offset);

// Decodes chunk k of an entry into its slices of volume (the whole grid, of the entry's dtype,
// zero where nothing is decoded yet: only the chunk's crop box is written), leaving the other
// slices untouched. Verifies the chunk checksum first (FORMAT.md 6) and, for a
// bool entry, that every decoded voxel is 0 or 1. Throws FormatError naming the chunk.
void decode_cm_chunk_into(std::span<const std::uint8_t> bytes, const EntryRecord& record,
                          std::size_t k, LabelVolume& volume, const std::string& path,
                          const std::string& field, std::uint64_t offset);

}  // namespace medmask::container
