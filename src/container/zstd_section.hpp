// container/zstd_section.hpp: one zstd frame per section (FORMAT.md 5), decoded only after its
// declared size has been checked against the caller's expectation.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "medmask/volume.hpp"

namespace medmask::container {

// One zstd frame with its content size recorded; dictionary, when not empty, is a raw-content
// dictionary (zstd "prefix") the reader must supply too. Throws ArgumentError for a bad level.
std::vector<std::uint8_t> zstd_compress(const void* data, std::size_t size, int level,
                                        std::span<const std::uint8_t> dictionary = {});

// Decodes frame into exactly out_size bytes at out. The frame must be one zstd frame declaring
// out_size as its content size and spanning all of frame. Throws FormatError naming field and
// offset (the section's first byte in the file).
void zstd_decompress_exact(std::span<const std::uint8_t> frame, void* out, std::size_t out_size,
                           const std::string& path, const std::string& field, std::uint64_t offset,
                           std::span<const std::uint8_t> dictionary = {});

// FormatError naming the first voxel of a bool volume that is neither 0 nor 1 (FORMAT.md 5).
void check_bool_voxels(const LabelVolume& volume, const std::string& path, const std::string& field,
                       std::uint64_t offset);

// A label map's raw bytes (C order, little-endian, bool as one 0/1 byte) as a zstd frame.
std::vector<std::uint8_t> encode_volume(const LabelVolume& volume, int level);

// Inverse of encode_volume. Throws FormatError (bad frame, bool bytes other than 0/1).
LabelVolume decode_volume(std::span<const std::uint8_t> frame, DType dtype, const Shape3& shape_zyx,
                          const std::string& path, const std::string& field, std::uint64_t offset);

}  // namespace medmask::container
