// The .npy format: magic "\x93NUMPY", version, header length, a Python dict literal with 'descr',
// 'fortran_order' and 'shape', padding, then the raw array (NumPy's .npy format, NEP 1).
#include "io/npy_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>

#include "medmask/error.hpp"

namespace medmask::io {

namespace {

// The value text after 'key': in the header dict, up to the next top-level ',' or '}'.
std::string dict_value(const std::string& dict, const std::string& key, const std::string& name) {
  const std::size_t at = dict.find("'" + key + "'");
  if (at == std::string::npos) throw FormatError(name + ": .npy header lacks '" + key + "'");
  std::size_t start = dict.find(':', at);
  if (start == std::string::npos) throw FormatError(name + ": .npy header is malformed");
  ++start;
  int depth = 0;
  std::size_t end = start;
  for (; end < dict.size(); ++end) {
    const char c = dict[end];
    if (c == '(' || c == '[') ++depth;
    if (c == ')' || c == ']') --depth;
    if (depth == 0 && (c == ',' || c == '}')) break;
  }
  std::string value = dict.substr(start, end - start);
  value.erase(0, value.find_first_not_of(" \t"));
  value.erase(value.find_last_not_of(" \t") + 1);
  return value;
}

std::uint64_t load_le(const std::uint8_t* p, std::size_t size, bool big_endian) {
  std::uint64_t value = 0;
  for (std::size_t b = 0; b < size; ++b) {
    value |= std::uint64_t{p[big_endian ? size - 1 - b : b]} << (8 * b);
  }
  return value;
}

// One element as a label value; throws for negative, fractional or too large values.
std::uint32_t element_value(const NpyHeader& h, const std::uint8_t* p, const std::string& name,
                            std::uint64_t index) {
  const std::uint64_t bits = load_le(p, h.item_size, h.big_endian);
  double value;
  if (h.kind == 'f') {
    if (h.item_size == 4) {
      float f;
      const auto b32 = static_cast<std::uint32_t>(bits);
      std::memcpy(&f, &b32, 4);
      value = f;
    } else {
      std::memcpy(&value, &bits, 8);
    }
    if (!(value >= 0) || value != std::floor(value)) {
      throw ArgumentError(name + ": element " + std::to_string(index) + " is " +
                          std::to_string(value) + ", not a label (a whole number >= 0)");
    }
  } else if (h.kind == 'i') {
    const std::uint64_t sign = std::uint64_t{1} << (8 * h.item_size - 1);
    if (bits & sign) {
      throw ArgumentError(name + ": element " + std::to_string(index) +
                          " is negative, not a label value");
    }
    value = static_cast<double>(bits);
  } else {
    value = static_cast<double>(bits);
  }
  if (value > 4294967295.0) {
    throw ArgumentError(name + ": element " + std::to_string(index) + " exceeds 2^32-1");
  }
  return static_cast<std::uint32_t>(value);
}

}  // namespace

NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, const std::string& name) {
  static constexpr std::uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    throw FormatError(name + ": not a .npy array (magic \\x93NUMPY missing)", name, 0);
  }
  const std::uint8_t major = bytes[6];
  std::size_t header_length;
  std::size_t header_start;
  if (major == 1) {
    header_length = static_cast<std::size_t>(load_le(bytes.data() + 8, 2, false));
    header_start = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw FormatError(name + ": truncated .npy preamble", name);
    header_length = static_cast<std::size_t>(load_le(bytes.data() + 8, 4, false));
    header_start = 12;
  } else {
    throw UnsupportedError(name + ": .npy version " + std::to_string(major) + " is not supported",
                           name, 6);
  }
  if (header_length > 1 << 20 || header_start + header_length > bytes.size()) {
    throw FormatError(
        name + ": .npy header of " + std::to_string(header_length) + " bytes runs past the data",
        name, 8);
  }
  const std::string dict(reinterpret_cast<const char*>(bytes.data() + header_start), header_length);
  NpyHeader header;
  header.data_offset = header_start + header_length;

  const std::string descr = dict_value(dict, "descr", name);
  // A simple dtype string such as '<u2', '|b1', '<U12'.
  if (descr.size() < 5 || descr.front() != '\'' || descr.back() != '\'') {
    throw UnsupportedError(name + ": .npy dtype " + descr + " is not a simple dtype", name);
  }
  const std::string code = descr.substr(1, descr.size() - 2);
  header.big_endian = code[0] == '>';
  header.kind = code[1];
  std::size_t count = 0;
  const auto [end, error] = std::from_chars(code.data() + 2, code.data() + code.size(), count);
  if (error != std::errc() || end != code.data() + code.size() || count == 0 || count > 1 << 20) {
    throw UnsupportedError(name + ": .npy dtype '" + code + "' is not supported", name);
  }
  header.item_size = header.kind == 'U' ? 4 * count : count;
  const bool integer_ok = (header.kind == 'u' || header.kind == 'i') &&
                          (count == 1 || count == 2 || count == 4 || count == 8);
  const bool other_ok = (header.kind == 'b' && count == 1) ||
                        (header.kind == 'f' && (count == 4 || count == 8)) || header.kind == 'U';
  if (!integer_ok && !other_ok) {
    throw UnsupportedError(
        name + ": .npy dtype '" + code + "' cannot hold labels (bool, integers or floats expected)",
        name);
  }
  header.fortran_order = dict_value(dict, "fortran_order", name) == "True";
  const std::string shape = dict_value(dict, "shape", name);
  const char* p = shape.data();
  const char* stop = shape.data() + shape.size();
  while (p < stop) {
    if (*p == '-') throw FormatError(name + ": .npy shape " + shape + " has a negative extent");
    if (*p >= '0' && *p <= '9') {
      std::uint64_t extent = 0;
      const auto [next, parse_error] = std::from_chars(p, stop, extent);
      if (parse_error != std::errc())
        throw FormatError(name + ": .npy shape " + shape + " is malformed");
      header.shape.push_back(extent);
      p = next;
    } else {
      ++p;
    }
  }
  return header;
}

LabelVolume npy_to_volume(const NpyHeader& h, std::span<const std::uint8_t> bytes,
                          const std::string& name, const ReadLimits& limits) {
  if (h.shape.size() != 3 || h.kind == 'U') {
    throw UnsupportedError(name + ": array has " + std::to_string(h.shape.size()) +
                               " dimensions; a label volume needs 3 (z, y, x)",
                           name);
  }
  std::uint64_t voxels = 1;
  for (std::uint64_t extent : h.shape) {
    if (extent > limits.max_voxels || (voxels *= extent) > limits.max_voxels) {
      throw LimitError(name + ": array of more voxels than the read limit of " +
                           std::to_string(limits.max_voxels),
                       name);
    }
  }
  if (h.data_offset + voxels * h.item_size > bytes.size()) {
    throw FormatError(name + ": .npy data is shorter than its shape needs", name, h.data_offset);
  }
  const Shape3 shape{static_cast<std::int64_t>(h.shape[0]), static_cast<std::int64_t>(h.shape[1]),
                     static_cast<std::int64_t>(h.shape[2])};
  const std::uint8_t* data = bytes.data() + h.data_offset;
  // Pass 1: the largest value, to choose the smallest dtype; pass 2 reads the values again
  // rather than keep a whole-volume uint32 copy.
  std::uint32_t max_value = 0;
  for (std::uint64_t i = 0; i < voxels; ++i) {
    max_value = std::max(max_value, element_value(h, data + i * h.item_size, name, i));
  }
  const DType dtype = h.kind == 'b' ? DType::kBool : dtype_for_max_value(max_value);
  LabelVolume volume(dtype, shape);
  if (max_value == 0) return volume;
  const auto value = [&](std::uint64_t i) {
    return element_value(h, data + i * h.item_size, name, i);
  };
  if (!h.fortran_order) {
    for (std::uint64_t i = 0; i < voxels; ++i) volume.set(i, value(i));
  } else {
    // Fortran order: the first index (z) is fastest in memory.
    const auto nz = h.shape[0], ny = h.shape[1], nx = h.shape[2];
    for (std::uint64_t x = 0, i = 0; x < nx; ++x)
      for (std::uint64_t y = 0; y < ny; ++y)
        for (std::uint64_t z = 0; z < nz; ++z, ++i) volume.set((z * ny + y) * nx + x, value(i));
  }
  return volume;
}

std::string npy_to_text(const NpyHeader& h, std::span<const std::uint8_t> bytes,
                        const std::string& name) {
  std::uint64_t elements = 1;
  for (std::uint64_t extent : h.shape) elements *= extent;
  if (h.kind != 'U' || elements != 1 || h.data_offset + h.item_size > bytes.size()) {
    throw UnsupportedError(name + ": not a single unicode string", name);
  }
  std::string text;
  for (std::size_t i = 0; i < h.item_size; i += 4) {
    const auto code =
        static_cast<std::uint32_t>(load_le(bytes.data() + h.data_offset + i, 4, h.big_endian));
    if (code == 0) break;  // numpy pads with NUL code points
    if (code < 0x80) {
      text += static_cast<char>(code);
    } else if (code < 0x800) {
      text += static_cast<char>(0xC0 | (code >> 6));
      text += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      text += static_cast<char>(0xE0 | (code >> 12));
      text += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      text += static_cast<char>(0xF0 | (code >> 18));
      text += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
      text += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      text += static_cast<char>(0x80 | (code & 0x3F));
    }
  }
  return text;
}

namespace {

// A .npy file of data_bytes zeroed bytes after the header; callers fill the last data_bytes.
std::vector<std::uint8_t> npy_with_header(const std::string& dict, std::size_t data_bytes) {
  // Version 1.0; the header is padded with spaces and ends in '\n' so data starts at a multiple
  // of 64 bytes, as numpy writes it.
  std::string header = dict;
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  const std::uint8_t preamble[10] = {0x93,
                                     'N',
                                     'U',
                                     'M',
                                     'P',
                                     'Y',
                                     1,
                                     0,
                                     static_cast<std::uint8_t>(header.size() & 0xFF),
                                     static_cast<std::uint8_t>(header.size() >> 8)};
  std::vector<std::uint8_t> out(sizeof preamble + header.size() + data_bytes);
  std::memcpy(out.data(), preamble, sizeof preamble);
  std::memcpy(out.data() + sizeof preamble, header.data(), header.size());
  return out;
}

}  // namespace

std::vector<std::uint8_t> volume_to_npy(const LabelVolume& volume) {
  static constexpr const char* kDescr[] = {"|b1", "|u1", "<u2", "<u4"};
  const auto& s = volume.shape_zyx();
  const std::string dict = std::string("{'descr': '") + kDescr[static_cast<int>(volume.dtype())] +
                           "', 'fortran_order': False, 'shape': (" + std::to_string(s[0]) + ", " +
                           std::to_string(s[1]) + ", " + std::to_string(s[2]) + "), }";
  auto out = npy_with_header(dict, volume.byte_size());
  if (volume.byte_size() != 0) {  // little-endian hosts: the bytes are already '<'
    std::memcpy(out.data() + out.size() - volume.byte_size(), volume.data(), volume.byte_size());
  }
  return out;
}

std::vector<std::uint8_t> text_to_npy(const std::string& utf8) {
  std::vector<std::uint32_t> codes;
  for (std::size_t i = 0; i < utf8.size();) {
    const auto c = static_cast<unsigned char>(utf8[i]);
    const std::size_t extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    std::uint32_t code = extra == 0 ? c : c & (0x3Fu >> extra);
    for (std::size_t k = 1; k <= extra && i + k < utf8.size(); ++k) {
      code = (code << 6) | (static_cast<unsigned char>(utf8[i + k]) & 0x3Fu);
    }
    codes.push_back(code);
    i += extra + 1;
  }
  const std::size_t count = std::max<std::size_t>(codes.size(), 1);
  codes.resize(count, 0);
  const std::string dict =
      "{'descr': '<U" + std::to_string(count) + "', 'fortran_order': False, 'shape': (), }";
  auto out = npy_with_header(dict, 4 * count);
  std::uint8_t* data = out.data() + out.size() - 4 * count;
  for (std::size_t i = 0; i < count; ++i) {
    for (std::size_t b = 0; b < 4; ++b)
      data[4 * i + b] = static_cast<std::uint8_t>(codes[i] >> (8 * b));
  }
  return out;
}

}  // namespace medmask::io
