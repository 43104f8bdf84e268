// Reader for the original Python medmask 0.1.x files (format 1.0), docs/MEDMASK_V1.md.
#include "medmask/medmask_v1.hpp"

#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <limits>
#include <nlohmann/json.hpp>

#include "detail/file_io.hpp"
#include "medmask/error.hpp"

namespace medmask {

namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::size_t kMsk1HeaderSize = 62;  // struct "<4s2B B 6Q 7x"
constexpr std::size_t kMskaHeaderSize = 90;  // struct "<4s2B B 7Q27x"
// A zstd block holds at most 128 KiB and takes at least 4 bytes (an RLE block: 3-byte header,
// 1 byte), so a frame of n bytes decodes to at most about n * 32 Ki bytes: a larger declared
// array is refused before anything is allocated.
constexpr std::uint64_t kMaxZstdRatio = (std::uint64_t{128} << 10) / 4;

Bytes read_whole_file(const std::string& path) { return detail::read_file(path); }

std::uint64_t load_u64(const Bytes& bytes, std::size_t at) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value |= std::uint64_t{bytes[at + i]} << (8 * i);
  return value;
}

// A [offset, offset + length) range checked against the file size.
std::span<const std::uint8_t> slice(const Bytes& bytes, std::uint64_t offset, std::uint64_t length,
                                    const std::string& path, const char* what) {
  if (offset > bytes.size() || length > bytes.size() - offset) {
    throw FormatError(path + ": " + what + " of " + std::to_string(length) +
                          " bytes runs past the end of the file (" + std::to_string(bytes.size()) +
                          " bytes)",
                      path, offset);
  }
  return {bytes.data() + offset, static_cast<std::size_t>(length)};
}

nlohmann::json parse_json(std::span<const std::uint8_t> text, const std::string& path,
                          const char* what) {
  // The archive index is zero-padded after its JSON text.
  std::size_t end = text.size();
  while (end > 0 && text[end - 1] == 0) --end;
  auto json = nlohmann::json::parse(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(end),
                                    nullptr, false);
  if (json.is_discarded()) throw FormatError(path + ": " + what + " is not valid JSON", path);
  return json;
}

Vec3 vec3_field(const nlohmann::json& space, const char* key, const std::string& path) {
  const auto it = space.find(key);
  if (it == space.end() || !it->is_array() || it->size() != 3) {
    throw FormatError(path + ": space JSON field '" + key + "' must be a list of 3 numbers", path);
  }
  Vec3 v{};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!(*it)[i].is_number()) {
      throw FormatError(path + ": space JSON field '" + key + "' holds a non-number", path);
    }
    v[i] = (*it)[i].get<double>();
  }
  return v;
}

Space parse_space(const nlohmann::json& json, const std::string& path) {
  if (!json.is_object()) throw FormatError(path + ": space JSON is not an object", path);
  const Vec3 shape = vec3_field(json, "shape", path);
  Shape3 shape_xyz{};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!(shape[i] >= 1 && shape[i] <= 1e9) ||
        shape[i] != static_cast<double>(static_cast<std::int64_t>(shape[i]))) {
      throw FormatError(path + ": space shape holds " + std::to_string(shape[i]), path);
    }
    shape_xyz[i] = static_cast<std::int64_t>(shape[i]);
  }
  const Vec3 x = vec3_field(json, "x_orientation", path);
  const Vec3 y = vec3_field(json, "y_orientation", path);
  const Vec3 z = vec3_field(json, "z_orientation", path);
  // The orientations are the axis directions: the columns of the direction matrix.
  const Mat3 direction{{{x[0], y[0], z[0]}, {x[1], y[1], z[1]}, {x[2], y[2], z[2]}}};
  try {
    return Space(shape_xyz, vec3_field(json, "origin", path), vec3_field(json, "spacing", path),
                 direction);
  } catch (const ArgumentError& error) {
    throw FormatError(path + ": space JSON: " + error.what(), path);
  }
}

LabelTable parse_mapping(const nlohmann::json& mapping, const std::string& path) {
  if (!mapping.is_object()) throw FormatError(path + ": mapping JSON is not an object", path);
  LabelTable table;
  for (const auto& [name, value] : mapping.items()) {
    if (!value.is_number_integer() || value.get<std::int64_t>() < 1 ||
        value.get<std::int64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      throw FormatError(path + ": mapping of '" + name + "' is not a label value 1..2^32-1", path);
    }
    try {
      table.add(name, static_cast<std::uint32_t>(value.get<std::int64_t>()));
    } catch (const ArgumentError& error) {
      throw FormatError(path + ": mapping: " + error.what(), path);
    }
  }
  return table;
}

// Decodes one v1 data blob: flag, dtype, shape, zstd frame (docs/MEDMASK_V1.md V1.5).
// what names the array for the user ("the mask data", "entry 'liver'"); the byte offset goes
// into the error's offset(), not its message.
LabelVolume decode_blob(std::span<const std::uint8_t> blob, const std::string& path,
                        const std::string& what, std::uint64_t blob_offset,
                        const ReadLimits& limits) {
  auto fail = [&](const std::string& problem) -> FormatError {
    return FormatError(path + ": " + what + ": " + problem, path, blob_offset);
  };
  if (blob.size() < 3) throw fail("truncated array header");
  const std::uint8_t packed_bits = blob[0];
  if (packed_bits > 1) throw fail("flag must be 0 or 1, found " + std::to_string(packed_bits));
  const std::size_t dtype_length = blob[1];
  if (2 + dtype_length + 1 > blob.size()) throw fail("truncated dtype");
  const std::string dtype_text(reinterpret_cast<const char*>(blob.data() + 2), dtype_length);
  std::size_t at = 2 + dtype_length;
  const std::size_t ndim = blob[at++];
  if (ndim != 3) throw fail("array has " + std::to_string(ndim) + " dimensions; expected 3");
  if (at + 24 > blob.size()) throw fail("truncated shape");
  Shape3 shape{};
  std::uint64_t voxels = 1;
  for (std::size_t i = 0; i < 3; ++i) {
    std::int64_t extent;
    std::memcpy(&extent, blob.data() + at + 8 * i, 8);  // little-endian host assumed (x86, arm)
    if (extent < 1 || extent > (std::int64_t{1} << 31)) {
      throw fail("array extent " + std::to_string(extent) + " is out of range");
    }
    shape[i] = extent;
    voxels *= static_cast<std::uint64_t>(extent);
    if (voxels > limits.max_voxels) {
      throw LimitError(path + ": " + what + " has more voxels than the read limit leaves for it (" +
                           std::to_string(limits.max_voxels) +
                           "; raise max_voxels of the read limits)",
                       path, blob_offset);
    }
  }
  at += 24;

  DType dtype;
  if (dtype_text == "bool") {
    dtype = DType::kBool;
  } else if (dtype_text == "uint8") {
    dtype = DType::kUInt8;
  } else if (dtype_text == "uint16") {
    dtype = DType::kUInt16;
  } else if (dtype_text == "uint32") {
    dtype = DType::kUInt32;
  } else {
    throw UnsupportedError(path + ": array dtype '" + dtype_text + "' is not supported", path);
  }
  if (packed_bits != (dtype == DType::kBool)) throw fail("flag does not match dtype " + dtype_text);

  const std::uint64_t raw_size = packed_bits ? (voxels + 7) / 8 : voxels * dtype_size(dtype);
  const auto frame = blob.subspan(at);
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) throw fail("not a zstd frame");
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_size) {
    throw fail("zstd frame holds " + std::to_string(declared) + " bytes; expected " +
               std::to_string(raw_size));
  }
  if (raw_size / kMaxZstdRatio > frame.size()) {
    throw LimitError(path + ": " + what + " declares " + std::to_string(raw_size) +
                         " bytes, more than its zstd frame of " + std::to_string(frame.size()) +
                         " bytes can hold",
                     path, blob_offset);
  }
  LabelVolume volume(dtype, shape);
  // Raw arrays decode straight into the volume: no second whole-volume buffer.
  Bytes raw(packed_bits ? static_cast<std::size_t>(raw_size) : 0);
  void* target = packed_bits ? static_cast<void*>(raw.data()) : volume.data();
  const std::size_t got =
      ZSTD_decompress(target, static_cast<std::size_t>(raw_size), frame.data(), frame.size());
  if (ZSTD_isError(got)) throw fail(std::string("zstd: ") + ZSTD_getErrorName(got));
  if (got != raw_size) throw fail("zstd frame is short");

  if (packed_bits) {
    // numpy.packbits: big-endian bit order, most significant bit first.
    auto* out = volume.data_as<std::uint8_t>();
    for (std::uint64_t i = 0; i < voxels; ++i) {
      out[i] =
          static_cast<std::uint8_t>((static_cast<unsigned>(raw[i >> 3]) >> (7 - (i & 7))) & 1u);
    }
  }
  return volume;
}

SegmentationMask make_mask(LabelVolume volume, LabelTable table, const Space& space,
                           const std::string& path) {
  if (volume.shape_zyx() != space.shape_zyx()) {
    throw FormatError(path + ": array shape does not match the space's shape", path);
  }
  try {
    return SegmentationMask(std::move(volume), std::move(table), space);
  } catch (const ArgumentError& error) {
    throw FormatError(path + ": " + error.what(), path);
  }
}

void check_version(const Bytes& bytes, const std::string& path) {
  if (bytes[4] != 1) {
    throw UnsupportedError(path + ": medmask v1 version " + std::to_string(bytes[4]) + "." +
                               std::to_string(bytes[5]) + " is not supported; expected 1.x",
                           path, 4);
  }
  if (bytes[6] != 0) {
    throw UnsupportedError(
        path + ": codec id " + std::to_string(bytes[6]) + " is not supported; expected 0 (zstd)",
        path, 6);
  }
}

// The JSON document whose (offset, length) pair the header holds at byte `field`.
nlohmann::json header_json(const Bytes& bytes, std::size_t field, const std::string& path,
                           const char* what) {
  return parse_json(slice(bytes, load_u64(bytes, field), load_u64(bytes, field + 8), path, what),
                    path, what);
}

LegacyFile read_msk1(const Bytes& bytes, const std::string& path, const ReadLimits& limits) {
  if (bytes.size() < kMsk1HeaderSize) throw FormatError(path + ": truncated MSK1 header", path);
  check_version(bytes, path);
  LegacyFile file;
  file.magic = "MSK1";
  file.space = parse_space(header_json(bytes, 7, path, "space JSON"), path);
  LabelTable table = parse_mapping(header_json(bytes, 23, path, "mapping JSON"), path);
  const std::uint64_t data_offset = load_u64(bytes, 39);
  LabelVolume volume = decode_blob(slice(bytes, data_offset, load_u64(bytes, 47), path, "data"),
                                   path, "the mask data", data_offset, limits);
  file.entries.push_back(
      LegacyEntry{std::filesystem::path(path).stem().string(),
                  make_mask(std::move(volume), std::move(table), file.space, path)});
  return file;
}

// medmask 0.1.x writes each entry's array once, one after another: entries that share bytes are
// a forgery (one small frame named 16 times would decode to 16 full volumes).
void check_entry_ranges(const nlohmann::json& index, const std::string& path) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;  // (offset, length)
  for (const auto& entry : index) {
    if (!entry.is_object() || !entry.contains("offset") || !entry["offset"].is_number_unsigned() ||
        !entry.contains("length") || !entry["length"].is_number_unsigned()) {
      continue;  // reported with the entry's other fields below
    }
    ranges.emplace_back(entry["offset"].get<std::uint64_t>(), entry["length"].get<std::uint64_t>());
  }
  std::sort(ranges.begin(), ranges.end());
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    const auto [previous_offset, previous_length] = ranges[i - 1];
    if (ranges[i].first - previous_offset < previous_length) {
      throw FormatError(
          path + ": two index entries share the bytes of one array; each entry has its own", path,
          ranges[i].first);
    }
  }
}

LegacyFile read_mska(const Bytes& bytes, const std::string& path, const ReadLimits& limits) {
  if (bytes.size() < kMskaHeaderSize) throw FormatError(path + ": truncated MSKA header", path);
  check_version(bytes, path);
  LegacyFile file;
  file.magic = "MSKA";
  file.space = parse_space(header_json(bytes, 7, path, "space JSON"), path);
  const auto index = header_json(bytes, 23, path, "index JSON");
  if (!index.is_array()) throw FormatError(path + ": index JSON is not a list", path);
  check_entry_ranges(index, path);
  // The archive is read whole into memory: its arrays together stay within the voxel limit.
  std::uint64_t voxels_left = limits.max_voxels;
  for (const auto& entry : index) {
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() ||
        !entry.contains("offset") || !entry["offset"].is_number_unsigned() ||
        !entry.contains("length") || !entry["length"].is_number_unsigned() ||
        !entry.contains("mapping")) {
      throw FormatError(path + ": index entry lacks name, offset, length or mapping", path);
    }
    const auto offset = entry["offset"].get<std::uint64_t>();
    const auto length = entry["length"].get<std::uint64_t>();
    ReadLimits entry_limits = limits;
    entry_limits.max_voxels = voxels_left;
    LabelVolume volume =
        decode_blob(slice(bytes, offset, length, path, "entry data"), path,
                    "entry '" + entry["name"].get<std::string>() + "'", offset, entry_limits);
    voxels_left -= volume.size();
    file.entries.push_back(LegacyEntry{
        entry["name"].get<std::string>(),
        make_mask(std::move(volume), parse_mapping(entry["mapping"], path), file.space, path)});
  }
  return file;
}

}  // namespace

bool is_medmask_v1_file(const std::string& path) noexcept {
  std::uint64_t size = 0;
  int fd = -1;
  try {
    fd = detail::open_regular_file(path, size);  // never blocks on a FIFO
  } catch (const Error&) {
    return false;
  }
  char magic[4] = {};
  const bool read = ::read(fd, magic, 4) == 4;
  ::close(fd);
  return read && (std::memcmp(magic, "MSK1", 4) == 0 || std::memcmp(magic, "MSKA", 4) == 0);
}

LegacyFile read_medmask_v1(const std::string& path, const ReadLimits& limits) {
  const Bytes bytes = read_whole_file(path);
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "MSK1", 4) == 0) {
    return read_msk1(bytes, path, limits);
  }
  if (bytes.size() >= 4 && std::memcmp(bytes.data(), "MSKA", 4) == 0) {
    return read_mska(bytes, path, limits);
  }
  throw FormatError(path + ": not a medmask v1 file (magic is not MSK1 or MSKA)", path, 0);
}

}  // namespace medmask
