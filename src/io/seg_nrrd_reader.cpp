// Reads 3D Slicer .seg.nrrd files and plain label NRRDs (NRRD 0004 and Slicer's Segmentation
// fields; docs/IMPORT_EXPORT.md "Sources").
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <sstream>

#include "detail/file_io.hpp"
#include "io/gzip.hpp"
#include "io/nrrd_text.hpp"
#include "medmask/error.hpp"
#include "medmask/label_table.hpp"
#include "medmask/mask.hpp"
#include "medmask/seg_nrrd.hpp"

namespace medmask {

namespace {

using io::NrrdHeader;

struct ScalarType {
  std::size_t size = 0;
  bool is_signed = false;
};

ScalarType parse_type(const std::string& type, const std::string& path) {
  static const std::map<std::string, ScalarType> kTypes = {
      {"uchar", {1, false}},
      {"unsigned char", {1, false}},
      {"uint8", {1, false}},
      {"uint8_t", {1, false}},
      {"signed char", {1, true}},
      {"int8", {1, true}},
      {"int8_t", {1, true}},
      {"char", {1, true}},
      {"short", {2, true}},
      {"short int", {2, true}},
      {"signed short", {2, true}},
      {"int16", {2, true}},
      {"int16_t", {2, true}},
      {"ushort", {2, false}},
      {"unsigned short", {2, false}},
      {"uint16", {2, false}},
      {"uint16_t", {2, false}},
      {"int", {4, true}},
      {"signed int", {4, true}},
      {"int32", {4, true}},
      {"int32_t", {4, true}},
      {"uint", {4, false}},
      {"unsigned int", {4, false}},
      {"uint32", {4, false}},
      {"uint32_t", {4, false}},
      {"longlong", {8, true}},
      {"long long", {8, true}},
      {"int64", {8, true}},
      {"int64_t", {8, true}},
      {"ulonglong", {8, false}},
      {"unsigned long long", {8, false}},
      {"uint64", {8, false}},
      {"uint64_t", {8, false}},
  };
  const auto it = kTypes.find(type);
  if (it == kTypes.end()) {
    throw UnsupportedError(
        path + ": NRRD type '" + type + "' is not supported; segmentations need an integer type",
        path);
  }
  return it->second;
}

// Reads sample `index` of the raw data as an unsigned value; negative values are refused.
std::uint64_t sample(const std::uint8_t* data, std::size_t index, ScalarType type, bool big_endian,
                     const std::string& path) {
  std::uint64_t raw = 0;
  const std::uint8_t* p = data + index * type.size;
  for (std::size_t b = 0; b < type.size; ++b) {
    const std::size_t shift = big_endian ? (type.size - 1 - b) : b;
    raw |= std::uint64_t{p[b]} << (8 * shift);
  }
  if (type.is_signed && (raw >> (8 * type.size - 1)) != 0) {
    throw ArgumentError(path + ": voxel " + std::to_string(index) + " holds a negative label value",
                        path);
  }
  if (raw > 0xFFFFFFFFu) {
    throw ArgumentError(path + ": voxel " + std::to_string(index) + " holds label value " +
                            std::to_string(raw) + ", beyond 2^32-1",
                        path);
  }
  return raw;
}

// The detached data file (FORMAT: "data file: <name>") of a .nhdr header: a plain file name
// beside the header, never a path. A hostile header could otherwise read any local file
// (/etc/passwd becoming voxels), hang on a FIFO or read a device.
std::string data_file_path(const std::string& name, const std::string& path) {
  const bool plain = !name.empty() && name != "." && name != ".." &&
                     name.find_first_of("/\\") == std::string::npos && name != "LIST" &&
                     name.find('%') == std::string::npos;
  if (!plain) {
    throw UnsupportedError(path + ": NRRD 'data file: " + printable_name(name) +
                               "' is not supported; detached data must be one file beside the "
                               "header, named without a directory",
                           path);
  }
  return (std::filesystem::path(path).parent_path() / name).string();
}

// The payload bytes, decompressed when gzip: raw payloads stay in the file's buffer.
struct Payload {
  std::vector<std::uint8_t> file_bytes;  // a detached data file
  io::ByteBuffer decompressed;
  std::span<const std::uint8_t> bytes;
};

Payload read_payload(const NrrdHeader& header, const std::string& path,
                     std::uint64_t expected_bytes) {
  Payload payload;
  std::span<const std::uint8_t> encoded;
  if (const auto data_file = header.field("data file")) {
    payload.file_bytes = detail::read_file(data_file_path(*data_file, path));
    encoded = payload.file_bytes;
  } else {
    encoded = header.data;
  }
  const std::string encoding = header.field("encoding").value_or("");
  if (encoding == "raw") {
    payload.bytes = encoded;
  } else if (encoding == "gzip" || encoding == "gz") {
    payload.decompressed = io::gunzip(encoded, path, expected_bytes);
    payload.bytes = payload.decompressed.span();
  } else {
    throw UnsupportedError(
        path + ": NRRD encoding '" + encoding + "' is not supported; expected raw or gzip", path);
  }
  if (payload.bytes.size() < expected_bytes) {
    throw FormatError(path + ": NRRD data holds " + std::to_string(payload.bytes.size()) +
                          " bytes; the sizes need " + std::to_string(expected_bytes),
                      path);
  }
  return payload;
}

Space read_space(const NrrdHeader& header, std::size_t first_spatial, Shape3 shape_xyz,
                 const std::string& path) {
  const std::string space = header.field("space").value_or("left-posterior-superior");
  double flip = 1.0;  // x and y sign from the file's frame to LPS
  if (space == "right-anterior-superior" || space == "RAS") {
    flip = -1.0;
  } else if (space != "left-posterior-superior" && space != "LPS") {
    throw UnsupportedError(
        path + ": NRRD space '" + space + "' is not supported; expected LPS or RAS", path);
  }
  const auto directions = io::parse_vectors(header.required("space directions", path), path);
  if (directions.size() != first_spatial + 3) {
    throw FormatError(path + ": 'space directions' has " + std::to_string(directions.size()) +
                          " entries; expected " + std::to_string(first_spatial + 3),
                      path);
  }
  const auto origin = header.field("space origin")
                          ? io::parse_vectors(*header.field("space origin"), path)
                          : std::vector<std::optional<Vec3>>{Vec3{0, 0, 0}};
  if (origin.size() != 1 || !origin[0]) throw FormatError(path + ": bad 'space origin'", path);
  Affine4 affine{};
  for (std::size_t axis = 0; axis < 3; ++axis) {
    const auto& column = directions[first_spatial + axis];
    if (!column) throw FormatError(path + ": spatial axis direction is 'none'", path);
    for (std::size_t row = 0; row < 3; ++row) {
      affine[row][axis] = (*column)[row] * (row < 2 ? flip : 1.0);
    }
  }
  for (std::size_t row = 0; row < 3; ++row)
    affine[row][3] = (*origin[0])[row] * (row < 2 ? flip : 1.0);
  affine[3][3] = 1.0;
  try {
    return Space::from_affine_lps(affine, shape_xyz);
  } catch (const ArgumentError& error) {
    throw FormatError(path + ": NRRD geometry: " + error.what(), path);
  }
}

std::optional<Rgb> parse_colour(const std::string& text) {
  std::istringstream in(text);
  double r, g, b;
  if (!(in >> r >> g >> b)) return std::nullopt;
  auto channel = [](double v) {
    return static_cast<std::uint8_t>(std::clamp(v, 0.0, 1.0) * 255.0 + 0.5);
  };
  return Rgb{channel(r), channel(g), channel(b)};
}

std::vector<SegNrrdSegment> read_segments(const NrrdHeader& header, const std::string& path,
                                          bool legacy_layout) {
  std::vector<SegNrrdSegment> segments;
  for (std::size_t n = 0;; ++n) {
    const std::string prefix = "Segment" + std::to_string(n) + "_";
    const auto id = header.key(prefix + "ID");
    if (!id) break;  // Slicer stops at the first missing SegmentN_ID
    SegNrrdSegment segment;
    segment.id = *id;
    segment.label.name = header.key(prefix + "Name").value_or(*id);
    if (const auto colour = header.key(prefix + "Color"))
      segment.label.color = parse_colour(*colour);
    segment.tags = header.key(prefix + "Tags").value_or("");
    auto integer = [&](const std::string& key, std::uint32_t fallback) {
      const auto text = header.key(prefix + key);
      if (!text) return fallback;
      std::uint32_t value = 0;
      const auto [end, error] = std::from_chars(text->data(), text->data() + text->size(), value);
      if (error != std::errc() || end != text->data() + text->size()) {
        throw FormatError(path + ": " + prefix + key + " '" + *text + "' is not a whole number",
                          path);
      }
      return value;
    };
    // Legacy files (Segmentation_Extent) hold one volume per segment with value 1.
    segment.label.value = integer("LabelValue", 1);
    segment.layer = integer("Layer", legacy_layout ? static_cast<std::uint32_t>(n) : 0);
    if (segment.label.value == 0) {
      throw FormatError(path + ": " + prefix + "LabelValue is 0 (background)", path);
    }
    segments.push_back(std::move(segment));
  }
  return segments;
}

}  // namespace

SegNrrd read_seg_nrrd(const std::string& path, const ReadLimits& limits) {
  const auto file_bytes = detail::read_file(path);
  const NrrdHeader header = io::parse_nrrd_header(file_bytes, path);
  const ScalarType type = parse_type(header.required("type", path), path);
  const auto sizes = io::parse_sizes(header.required("sizes", path), path);
  const std::size_t dimension = io::parse_count(header.required("dimension", path), path);
  if (sizes.size() != dimension || (dimension != 3 && dimension != 4)) {
    throw UnsupportedError(path + ": NRRD dimension " + std::to_string(dimension) + " with " +
                               std::to_string(sizes.size()) +
                               " sizes; segmentations are 3-D, or 4-D with the layer axis first",
                           path);
  }
  const std::size_t first_spatial = dimension - 3;
  const std::uint64_t layer_count = dimension == 4 ? sizes[0] : 1;
  const Shape3 shape_xyz{static_cast<std::int64_t>(sizes[first_spatial]),
                         static_cast<std::int64_t>(sizes[first_spatial + 1]),
                         static_cast<std::int64_t>(sizes[first_spatial + 2])};
  std::uint64_t voxels = 1;
  for (std::int64_t extent : shape_xyz) {
    voxels *= static_cast<std::uint64_t>(extent);  // each <= 2^30: checked below before growing
    if (voxels > limits.max_voxels) break;
  }
  if (layer_count == 0 || layer_count > limits.max_labels || voxels > limits.max_voxels ||
      voxels > limits.max_voxels / layer_count) {
    throw LimitError(path + ": NRRD of " + std::to_string(layer_count) + " layers of " +
                         std::to_string(shape_xyz[0]) + " x " + std::to_string(shape_xyz[1]) +
                         " x " + std::to_string(shape_xyz[2]) +
                         " voxels exceeds the read limit of " + std::to_string(limits.max_voxels) +
                         " voxels",
                     path);
  }
  const std::string endian = header.field("endian").value_or("little");
  const bool big_endian = type.size > 1 && endian == "big";

  SegNrrd result;
  result.space = read_space(header, first_spatial, shape_xyz, path);
  const Payload payload = read_payload(header, path, voxels * layer_count * type.size);
  const std::uint8_t* raw = payload.bytes.data();

  // Layers interleave per voxel (the layer axis is the fastest). Two passes over the payload (the
  // largest value of each layer, then the values) instead of a whole-volume uint32 copy.
  std::vector<std::uint32_t> max_value(layer_count, 0);
  for (std::uint64_t v = 0; v < voxels; ++v) {
    for (std::uint64_t l = 0; l < layer_count; ++l) {
      const auto value = static_cast<std::uint32_t>(
          sample(raw, static_cast<std::size_t>(v * layer_count + l), type, big_endian, path));
      max_value[l] = std::max(max_value[l], value);
    }
  }
  for (std::uint64_t l = 0; l < layer_count; ++l) {
    LabelVolume layer(dtype_for_max_value(max_value[l]), result.space.shape_zyx());
    if (max_value[l] != 0) {
      for (std::uint64_t v = 0; v < voxels; ++v) {
        layer.set(
            v, static_cast<std::uint32_t>(sample(raw, static_cast<std::size_t>(v * layer_count + l),
                                                 type, big_endian, path)));
      }
    }
    result.layers.push_back(std::move(layer));
  }

  result.segments = read_segments(header, path, header.key("Segmentation_Extent").has_value());
  if (result.segments.empty()) {
    // A plain label NRRD: every non-zero value of every layer becomes a segment.
    for (std::uint32_t l = 0; l < result.layers.size(); ++l) {
      for (const auto& [value, stats] : compute_label_stats(result.layers[l])) {
        SegNrrdSegment segment;
        segment.label.name = "Segment_" + std::to_string(value) +
                             (result.layers.size() > 1 ? "_layer" + std::to_string(l) : "");
        segment.label.value = value;
        segment.layer = l;
        result.segments.push_back(std::move(segment));
      }
    }
  }
  for (const auto& segment : result.segments) {
    if (segment.layer >= result.layers.size()) {
      throw FormatError(path + ": segment '" + segment.label.name + "' is in layer " +
                            std::to_string(segment.layer) + " but the file has " +
                            std::to_string(result.layers.size()) + " layers",
                        path);
    }
  }
  return result;
}

}  // namespace medmask
