// container/header.hpp: the fixed 64-byte header at the start of every .mska file (FORMAT.md 3).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "container/format_constants.hpp"
#include "container/read_limits.hpp"

namespace medmask::container {

struct Header {
  std::uint16_t version_major = kVersionMajor;
  std::uint16_t version_minor = kVersionMinor;
  std::uint32_t required_features = 0;
  std::uint64_t index_offset = 0;
  std::uint64_t index_length = 0;
  std::uint64_t index_raw_length = 0;
  std::uint64_t file_length = 0;
  std::uint64_t index_xxh3 = 0;
};

// The 64 bytes of header, its own checksum included.
std::array<std::uint8_t, kHeaderSize> encode_header(const Header& header);

// Parses and validates the first bytes of a file (bytes may be shorter than 64 when the file is).
// file_size is the actual size of the file on disk.
// Throws FormatError (magic, checksum, truncation, ranges), UnsupportedError (major version,
// unknown required feature), LimitError (index size beyond limits).
Header decode_header(std::span<const std::uint8_t> bytes, std::uint64_t file_size,
                     const std::string& path, const ReadLimits& limits);

}  // namespace medmask::container
