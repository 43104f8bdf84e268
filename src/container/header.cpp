#include "container/header.hpp"

#include <zstd.h>

#include <algorithm>
#include <cstring>

#include "container/error_message.hpp"
#include "detail/byte_io.hpp"
#include "detail/checksum.hpp"
#include "medmask/error.hpp"

namespace medmask::container {

std::array<std::uint8_t, kHeaderSize> encode_header(const Header& header) {
  std::array<std::uint8_t, kHeaderSize> bytes{};
  std::copy(kMagic.begin(), kMagic.end(), bytes.begin());
  detail::store_le16(&bytes[kOffsetVersionMajor], header.version_major);
  detail::store_le16(&bytes[kOffsetVersionMinor], header.version_minor);
  detail::store_le32(&bytes[kOffsetRequiredFeatures], header.required_features);
  detail::store_le64(&bytes[kOffsetIndexOffset], header.index_offset);
  detail::store_le64(&bytes[kOffsetIndexLength], header.index_length);
  detail::store_le64(&bytes[kOffsetIndexRawLength], header.index_raw_length);
  detail::store_le64(&bytes[kOffsetFileLength], header.file_length);
  detail::store_le64(&bytes[kOffsetIndexXxh3], header.index_xxh3);
  detail::store_le64(&bytes[kOffsetHeaderXxh3], detail::xxh3_64(bytes.data(), kOffsetHeaderXxh3));
  return bytes;
}

namespace {

constexpr std::uint64_t kMaxIndexRatio = 1000;  // FORMAT.md 8

bool starts_with(std::span<const std::uint8_t> bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() &&
         std::memcmp(bytes.data(), prefix.data(), prefix.size()) == 0;
}

}  // namespace

Header decode_header(std::span<const std::uint8_t> bytes, std::uint64_t file_size,
                     const std::string& path, const ReadLimits& limits) {
  // FORMAT.md 7: magic, then major version (a newer major may lay out the rest differently), then
  // the header checksum, then every field.
  const std::size_t magic_seen = std::min(bytes.size(), kMagic.size());
  if (magic_seen == 0 || std::memcmp(bytes.data(), kMagic.data(), magic_seen) != 0) {
    if (starts_with(bytes, "MSK1") || starts_with(bytes, "MSKA")) {
      throw_at<FormatError>(path, "magic", 0,
                            "not a MedMask 1 archive but a file of the original Python medmask "
                            "0.1 (.msk/.mska); import it with the medmask_v1 reader");
    }
    throw_at<FormatError>(path, "magic", 0,
                          "not a MedMask file; expected the signature 89 4D 53 4B 0D 0A 1A 0A");
  }
  if (bytes.size() < kHeaderSize) {
    throw_at<FormatError>(path, "header", bytes.size(),
                          "file truncated; expected a 64-byte header, found " +
                              std::to_string(bytes.size()) + " bytes");
  }
  Header header;
  header.version_major = detail::load_le16(&bytes[kOffsetVersionMajor]);
  header.version_minor = detail::load_le16(&bytes[kOffsetVersionMinor]);
  if (header.version_major == 0) {
    throw_at<FormatError>(path, "version_major", kOffsetVersionMajor,
                          "invalid version; expected 1, found 0");
  }
  if (header.version_major > kVersionMajor) {
    throw_at<UnsupportedError>(path, "version_major", kOffsetVersionMajor,
                               "format version " + std::to_string(header.version_major) + "." +
                                   std::to_string(header.version_minor) +
                                   " is newer than this reader; expected major version 1");
  }
  const std::uint64_t stored_header_xxh3 = detail::load_le64(&bytes[kOffsetHeaderXxh3]);
  const std::uint64_t computed_header_xxh3 = detail::xxh3_64(bytes.data(), kOffsetHeaderXxh3);
  if (stored_header_xxh3 != computed_header_xxh3) {
    throw_at<FormatError>(path, "header_xxh3", kOffsetHeaderXxh3,
                          "header checksum mismatch; stored " + detail::hex64(stored_header_xxh3) +
                              ", computed " + detail::hex64(computed_header_xxh3));
  }
  header.required_features = detail::load_le32(&bytes[kOffsetRequiredFeatures]);
  if (const std::uint32_t unknown = header.required_features & ~kKnownRequiredFeatures) {
    int bit = 0;
    while (((unknown >> bit) & 1u) == 0) ++bit;
    throw_at<UnsupportedError>(
        path, "required_features", kOffsetRequiredFeatures,
        "unknown required feature bit " + std::to_string(bit) +
            "; this reader understands bits 0 (split structures) and 1 (index dictionary)");
  }
  header.index_offset = detail::load_le64(&bytes[kOffsetIndexOffset]);
  header.index_length = detail::load_le64(&bytes[kOffsetIndexLength]);
  header.index_raw_length = detail::load_le64(&bytes[kOffsetIndexRawLength]);
  header.file_length = detail::load_le64(&bytes[kOffsetFileLength]);
  header.index_xxh3 = detail::load_le64(&bytes[kOffsetIndexXxh3]);

  if (header.file_length < kHeaderSize) {
    throw_at<FormatError>(
        path, "file_length", kOffsetFileLength,
        "out of range; expected at least 64, found " + std::to_string(header.file_length));
  }
  if (header.file_length > file_size) {
    throw_at<FormatError>(path, "file_length", kOffsetFileLength,
                          "file truncated; expected " + std::to_string(header.file_length) +
                              " bytes, found " + std::to_string(file_size));
  }
  if (header.index_offset < kHeaderSize || header.index_offset > header.file_length ||
      header.index_length > header.file_length - header.index_offset) {
    throw_at<FormatError>(path, "index_offset", kOffsetIndexOffset,
                          "index section [" + std::to_string(header.index_offset) + ", +" +
                              std::to_string(header.index_length) +
                              ") lies outside the file; expected within [64, " +
                              std::to_string(header.file_length) + ")");
  }
  if (header.index_length == 0) {
    throw_at<FormatError>(path, "index_length", kOffsetIndexLength,
                          "empty index; expected a zstd frame");
  }
  if (header.index_raw_length > limits.max_index_bytes) {
    throw_at<LimitError>(path, "index_raw_length", kOffsetIndexRawLength,
                         "index of " + std::to_string(header.index_raw_length) +
                             " bytes exceeds the read limit of " +
                             std::to_string(limits.max_index_bytes));
  }
  // An honest index compresses 3 to 40 times; a few KB that claim tens of MB of JSON are a bomb
  // (the parsed document takes about 20 times its text), refused before decompressing.
  if (header.index_raw_length / kMaxIndexRatio > header.index_length) {
    throw_at<LimitError>(path, "index_raw_length", kOffsetIndexRawLength,
                         "index of " + std::to_string(header.index_raw_length) + " bytes exceeds " +
                             std::to_string(kMaxIndexRatio) + " times its compressed " +
                             std::to_string(header.index_length) + " bytes");
  }
  if (header.index_length > ZSTD_compressBound(limits.max_index_bytes)) {
    throw_at<LimitError>(path, "index_length", kOffsetIndexLength,
                         "compressed index of " + std::to_string(header.index_length) +
                             " bytes exceeds the read limit");
  }
  return header;
}

}  // namespace medmask::container
