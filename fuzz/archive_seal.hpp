// fuzz/archive_seal.hpp: take a .mska apart into its data bytes and index JSON, and put it back
// together with every checksum recomputed (header, index, entries, chunks, tiles: FORMAT.md 6).
//
// Checksums stop a raw mutation at the first check; sealing a mutated index or data region lets
// a fuzzer or the corrupt-file suite reach the index validation and the decoders behind them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "container/format_constants.hpp"
#include "container/header.hpp"
#include "container/index_frame.hpp"
#include "detail/checksum.hpp"

namespace medmask::fuzz {

struct UnsealedArchive {
  std::uint32_t required_features = container::kFeatureIndexDictionary;
  std::vector<std::uint8_t> data;  // the bytes from offset 64 up to the index
  std::string index_json;
};

namespace seal_detail {

inline const nlohmann::json& field(const nlohmann::json& object, const char* key) {
  static const nlohmann::json missing;
  const auto found = object.find(key);
  return found == object.end() ? missing : *found;
}

// XXH3 of [offset, offset + length) of the file when that range lies inside it.
inline bool section_checksum(const std::vector<std::uint8_t>& file, const nlohmann::json& offset,
                             const nlohmann::json& length, std::uint64_t* sum) {
  if (!offset.is_number_unsigned() || !length.is_number_unsigned()) return false;
  const auto begin = offset.get<std::uint64_t>();
  const auto size = length.get<std::uint64_t>();
  if (begin > file.size() || size > file.size() - begin) return false;
  *sum = detail::xxh3_64(file.data() + begin, size);
  return true;
}

}  // namespace seal_detail

// Inverse of seal for a valid 1.1/1.2 file. Throws medmask errors for a file that is not one.
inline UnsealedArchive unseal(std::span<const std::uint8_t> file, const std::string& name) {
  const container::Header header = container::decode_header(file, file.size(), name, {});
  UnsealedArchive out;
  out.required_features = header.required_features;
  const auto data =
      file.subspan(container::kHeaderSize, header.index_offset - container::kHeaderSize);
  out.data.assign(data.begin(), data.end());
  out.index_json = container::decompress_index(
      file.subspan(header.index_offset, header.index_length), header.index_raw_length,
      header.required_features, name, header.index_offset);
  return out;
}

// The file: header, data at offset 64, then the index. When the index parses as JSON, the xxh3
// of every entry and chunk whose range lies inside the file is recomputed first (so the index
// text may change formatting); the header's version_minor follows the index's "version".
inline std::vector<std::uint8_t> seal(const UnsealedArchive& parts) {
  // The file as it will be, less the header and index (memcpy: GCC 12 warns falsely on insert).
  std::vector<std::uint8_t> file(container::kHeaderSize + parts.data.size());
  if (!parts.data.empty())
    std::memcpy(file.data() + container::kHeaderSize, parts.data.data(), parts.data.size());
  std::string text = parts.index_json;
  std::uint16_t version_minor = container::kVersionMinor;
  nlohmann::json index = nlohmann::json::parse(text, nullptr, false);
  if (index.is_object()) {
    using seal_detail::field;
    auto entries = index.find("entries");
    if (entries != index.end() && entries->is_array()) {
      for (auto& entry : *entries) {
        if (!entry.is_object()) continue;
        std::uint64_t sum = 0;
        if (seal_detail::section_checksum(file, field(entry, "offset"), field(entry, "length"),
                                          &sum))
          entry["xxh3"] = detail::hex64(sum);
        auto tiles = entry.find("tiles");  // medmask-cm1-tiles: stored tiles back to back
        if (tiles != entry.end() && tiles->is_array() &&
            field(entry, "offset").is_number_unsigned()) {
          std::uint64_t at = field(entry, "offset").get<std::uint64_t>();
          for (auto& tile : *tiles) {
            if (!tile.is_array() || tile.size() != 2 || !tile[0].is_number_unsigned()) continue;
            if (seal_detail::section_checksum(file, at, tile[0], &sum))
              tile[1] = detail::hex64(sum);
            const std::uint64_t length = tile[0].get<std::uint64_t>();
            if (length > UINT64_MAX - at) break;
            at += length;
          }
        }
        auto chunks = entry.find("chunks");
        if (chunks == entry.end() || !chunks->is_array() ||
            !field(entry, "offset").is_number_unsigned())
          continue;
        const std::uint64_t base = field(entry, "offset").get<std::uint64_t>();
        for (auto& chunk : *chunks) {
          if (!chunk.is_object() || !field(chunk, "offset").is_number_unsigned()) continue;
          const std::uint64_t relative = field(chunk, "offset").get<std::uint64_t>();
          if (relative > UINT64_MAX - base) continue;
          if (seal_detail::section_checksum(file, base + relative, field(chunk, "length"), &sum))
            chunk["xxh3"] = detail::hex64(sum);
        }
      }
    }
    const auto& version = field(index, "version");
    if (version.is_array() && version.size() == 2 && version[1].is_number_unsigned() &&
        version[1].get<std::uint64_t>() <= 0xffff)
      version_minor = static_cast<std::uint16_t>(version[1].get<std::uint64_t>());
    try {
      text = index.dump();
    } catch (const nlohmann::json::exception&) {  // a string it cannot print: keep the text
    }
  }
  const std::vector<std::uint8_t> frame = container::compress_index(text, 1);
  container::Header header;
  header.version_minor = version_minor;
  header.required_features = parts.required_features | container::kFeatureIndexDictionary;
  header.index_offset = file.size();
  header.index_length = frame.size();
  header.index_raw_length = text.size();
  header.file_length = file.size() + frame.size();
  header.index_xxh3 = detail::xxh3_64(frame.data(), frame.size());
  const auto head = container::encode_header(header);
  std::vector<std::uint8_t> sealed(head.size() + parts.data.size() + frame.size());
  std::memcpy(sealed.data(), head.data(), head.size());
  if (!parts.data.empty())
    std::memcpy(sealed.data() + head.size(), parts.data.data(), parts.data.size());
  std::memcpy(sealed.data() + head.size() + parts.data.size(), frame.data(), frame.size());
  return sealed;
}

// The fuzz input form of an unsealed archive: u8 feature bits, u32 data length (LE), data, JSON.
inline std::vector<std::uint8_t> to_fuzz_input(const UnsealedArchive& parts) {
  std::vector<std::uint8_t> out{static_cast<std::uint8_t>(parts.required_features)};
  const auto size = static_cast<std::uint32_t>(parts.data.size());
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(size >> (8 * i)));
  out.insert(out.end(), parts.data.begin(), parts.data.end());
  out.insert(out.end(), parts.index_json.begin(), parts.index_json.end());
  return out;
}

inline UnsealedArchive from_fuzz_input(const std::uint8_t* data, std::size_t size) {
  UnsealedArchive parts;
  if (size < 5) return parts;
  parts.required_features = data[0] & container::kKnownRequiredFeatures;
  std::uint32_t length = 0;
  for (int i = 0; i < 4; ++i) length |= std::uint32_t{data[1 + i]} << (8 * i);
  length = static_cast<std::uint32_t>(std::min<std::size_t>(length, size - 5));
  parts.data.assign(data + 5, data + 5 + length);
  parts.index_json.assign(reinterpret_cast<const char*>(data + 5 + length), size - 5 - length);
  return parts;
}

}  // namespace medmask::fuzz
