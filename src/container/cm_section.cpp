#include "container/cm_section.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include "codec/label_codec.hpp"
#include "codec/tiling.hpp"
#include "container/error_message.hpp"
#include "container/layer_reference.hpp"
#include "container/zstd_section.hpp"
#include "core/dtype_dispatch.hpp"
#include "detail/checksum.hpp"
#include "medmask/error.hpp"

namespace medmask::container {

namespace {

codec::Level codec_level(CompressionLevel level) {
  switch (level) {
    case CompressionLevel::kFast:
      return codec::Level::kFast;
    case CompressionLevel::kMax:
      return codec::Level::kMax;
    case CompressionLevel::kDefault:
      break;
  }
  return codec::Level::kDefault;
}

codec::Dims dims_of(const Shape3& shape_zyx) {
  return {static_cast<std::size_t>(shape_zyx[2]), static_cast<std::size_t>(shape_zyx[1]),
          static_cast<std::size_t>(shape_zyx[0])};
}

}  // namespace

CmSection encode_cm_section(const LabelVolume& volume, std::uint32_t chunk_depth,
                            std::uint32_t tile_y, std::uint32_t tile_x, CompressionLevel level,
                            unsigned threads, const LabelVolume* predicted) {
  CmSection section;
  section.level = std::string(compression_level_name(level));
  std::vector<std::vector<std::uint8_t>> chunks;
  const codec::Dims dims = dims_of(volume.shape_zyx());
  detail::visit_dtype(volume.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (tile_y == 0) {
      chunks =
          codec::encode_chunks(volume.data_as<T>(), dims, chunk_depth, codec_level(level), threads);
      return;
    }
    const codec::Dims tile{tile_x, tile_y, chunk_depth};
    const T* prediction = predicted != nullptr ? predicted->data_as<T>() : nullptr;
    chunks = codec::encode_tiles(volume.data_as<T>(), dims, tile, codec_level(level), threads,
                                 prediction);
    // A section is never empty (FORMAT.md 4.3): a volume of zeros (or equal to its prediction)
    // stores its first tile.
    if (std::all_of(chunks.begin(), chunks.end(), [](const auto& c) { return c.empty(); })) {
      const codec::TileBox first = codec::TileGrid(dims, tile).box(0);
      std::vector<T> voxels(first.dims.nx * first.dims.ny * first.dims.nz, T{0});
      if (prediction != nullptr) {
        for (std::size_t z = 0; z < first.dims.nz; ++z) {
          for (std::size_t y = 0; y < first.dims.ny; ++y) {
            std::copy_n(prediction + (z * dims.ny + y) * dims.nx, first.dims.nx,
                        voxels.data() + (z * first.dims.ny + y) * first.dims.nx);
          }
        }
      }
      chunks[0] = codec::encode_chunk(voxels.data(), first.dims, codec_level(level),
                                      prediction != nullptr ? voxels.data() : nullptr);
    }
  });
  for (const auto& chunk : chunks) {
    section.chunks.push_back({section.bytes.size(), chunk.size(),
                              chunk.empty() ? 0 : detail::xxh3_64(chunk.data(), chunk.size())});
    section.bytes.insert(section.bytes.end(), chunk.begin(), chunk.end());
  }
  return section;
}

UnitBox unit_box(const EntryRecord& record, std::size_t k, const Shape3& shape_zyx) {
  if (!record.tiled()) {
    const auto depth = static_cast<std::int64_t>(record.chunk_depth);
    const std::int64_t z0 = static_cast<std::int64_t>(k) * depth;
    return {{z0, 0, 0}, {std::min(depth, shape_zyx[0] - z0), shape_zyx[1], shape_zyx[2]}};
  }
  const codec::TileBox b =
      codec::TileGrid(dims_of(shape_zyx), {record.tile_x, record.tile_y, record.chunk_depth})
          .box(k);
  const auto i64 = [](std::size_t v) { return static_cast<std::int64_t>(v); };
  return {{i64(b.z0), i64(b.y0), i64(b.x0)}, {i64(b.dims.nz), i64(b.dims.ny), i64(b.dims.nx)}};
}

namespace {

std::string chunk_field(const std::string& field, const EntryRecord& record, std::size_t k) {
  return field + (record.tiled() ? ", tile " : ", chunk ") + std::to_string(k) + " of " +
         std::to_string(record.chunks.size());
}

// FormatError unless the unit's bytes carry the checksum the index stores for them.
void require_checksum(std::span<const std::uint8_t> bytes, std::uint64_t stored,
                      const std::string& path, const std::string& name, std::uint64_t offset) {
  const std::uint64_t computed = detail::xxh3_64(bytes.data(), bytes.size());
  if (computed != stored) {
    throw_at<FormatError>(path, name, offset,
                          "checksum mismatch; stored " + detail::hex64(stored) + ", computed " +
                              detail::hex64(computed));
  }
}

void require_decoded(codec::Status status, const std::string& path, const std::string& name,
                     std::uint64_t offset) {
  if (status != codec::Status::kOk) {
    throw_at<FormatError>(path, name, offset,
                          std::string("codec error: ") + codec::status_name(status));
  }
}

// Unit k's crop box (FORMAT.md A.2), after its checksum: the header read, not the voxels.
codec::CropBox checked_crop(std::span<const std::uint8_t> bytes, const EntryRecord& record,
                            std::size_t k, const UnitBox& unit, const std::string& path,
                            const std::string& name, std::uint64_t offset) {
  require_checksum(bytes, record.chunks.at(k).xxh3, path, name, offset);
  codec::CropBox crop;
  require_decoded(codec::peek_crop(bytes.data(), bytes.size(), dims_of(unit.shape_zyx),
                                   dtype_size(record.dtype), &crop),
                  path, name, offset);
  return crop;
}

// Where a unit's (non-empty) crop box lies in the grid.
UnitBox crop_in_grid(const UnitBox& unit, const codec::CropBox& crop) {
  const auto as_int = [](std::size_t v) { return static_cast<std::int64_t>(v); };
  const Shape3& o = unit.origin_zyx;
  return {{o[0] + as_int(crop.z0), o[1] + as_int(crop.y0), o[2] + as_int(crop.x0)},
          {as_int(crop.dims.nz), as_int(crop.dims.ny), as_int(crop.dims.nx)}};
}

}  // namespace

LabelVolume decode_cm_section(std::span<const std::uint8_t> section, const EntryRecord& record,
                              const Shape3& shape_zyx, const std::string& path,
                              const std::string& field, std::uint64_t offset, unsigned threads,
                              const LabelVolume* reference) {
  const auto chunk_field = [&](std::size_t i) { return container::chunk_field(field, record, i); };
  std::optional<LabelVolume> predicted;
  if (record.reference.present()) {
    if (reference == nullptr) throw_at<FormatError>(path, field, offset, "needs its reference");
    predicted = predict_volume(*reference, record.reference, record.dtype);
  }
  // The index checked that the chunks tile the section; the guard keeps this function safe alone.
  std::vector<std::span<const std::uint8_t>> chunks;
  for (std::size_t i = 0; i < record.chunks.size(); ++i) {
    const ChunkRecord& chunk = record.chunks[i];
    if (chunk.offset > section.size() || chunk.length > section.size() - chunk.offset) {
      throw_at<FormatError>(
          path, chunk_field(i), offset + chunk.offset,
          "chunk lies beyond the section of " + std::to_string(section.size()) + " bytes");
    }
    const auto bytes = section.subspan(static_cast<std::size_t>(chunk.offset),
                                       static_cast<std::size_t>(chunk.length));
    if (bytes.empty()) {  // an empty tile (FORMAT.md 4.3.2): no bytes, no checksum
      chunks.push_back(bytes);
      continue;
    }
    require_checksum(bytes, chunk.xxh3, path, chunk_field(i), offset + chunk.offset);
    chunks.push_back(bytes);
  }
  LabelVolume volume(record.dtype, shape_zyx);
  const codec::Dims dims = dims_of(shape_zyx);
  const std::size_t depth = record.chunk_depth;
  detail::visit_dtype(record.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = volume.data_as<T>();
    const codec::Dims tile{record.tile_x, record.tile_y, depth};
    const T* prediction = predicted ? predicted->data_as<T>() : nullptr;
    if ((record.tiled()
             ? codec::decode_tiles(chunks, dims, tile, out, threads, true, prediction)
             : codec::decode_chunks(chunks, dims, depth, out, threads)) == codec::Status::kOk) {
      return;
    }
    // Rare path: decode unit by unit to name the first bad one.
    std::vector<T> scratch;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      if (chunks[i].empty()) continue;
      const UnitBox unit = unit_box(record, i, shape_zyx);
      const Shape3& n = unit.shape_zyx;
      scratch.resize(static_cast<std::size_t>(n[0] * n[1] * n[2]));
      std::optional<LabelVolume> unit_prediction;
      if (predicted) {
        unit_prediction =
            predict_unit(Slab{*reference, {0, 0, 0}}, record.reference, record.dtype, unit);
      }
      require_decoded(
          codec::decode_chunk(chunks[i].data(), chunks[i].size(), dims_of(n), scratch.data(), false,
                              unit_prediction ? unit_prediction->data_as<T>() : nullptr),
          path, chunk_field(i), offset + record.chunks[i].offset);
    }
    throw_at<FormatError>(path, field, offset, "unit table does not fit the grid");
  });
  check_bool_voxels(volume, path, field, offset);
  return volume;
}

bool tile_uses_reference(std::span<const std::uint8_t> bytes) {
  return bytes.empty() || codec::uses_prediction(bytes.data(), bytes.size());
}

Slab decode_cm_chunk(std::span<const std::uint8_t> bytes, const EntryRecord& record, std::size_t k,
                     const Shape3& shape_zyx, const std::string& path, const std::string& field,
                     std::uint64_t offset, const Slab* reference) {
  const std::string name = chunk_field(field, record, k);
  const UnitBox unit = unit_box(record, k, shape_zyx);
  std::optional<LabelVolume> prediction;
  if (record.reference.present() && tile_uses_reference(bytes)) {
    if (reference == nullptr) throw_at<FormatError>(path, name, offset, "needs its reference");
    prediction = predict_unit(*reference, record.reference, record.dtype, unit);
    if (bytes.empty()) return Slab{*prediction, unit.origin_zyx};  // equal to its prediction
  }
  // An empty tile of a layer without a reference (read as another layer's reference) is zeros.
  if (bytes.empty() && record.tiled() && record.chunks.at(k).length == 0) {
    return Slab{LabelVolume(record.dtype, {1, 1, 1}), unit.origin_zyx};
  }
  const codec::CropBox crop = checked_crop(bytes, record, k, unit, path, name, offset);
  if (crop.empty) return Slab{LabelVolume(record.dtype, {1, 1, 1}), unit.origin_zyx};
  // Only the crop box is kept: the zeros around a tile's labels cost neither memory nor the
  // page faults of writing them.
  const UnitBox in_grid = crop_in_grid(unit, crop);
  LabelVolume volume(record.dtype, in_grid.shape_zyx);  // zeros: rows of zeros are not written
  detail::visit_dtype(record.dtype, [&](auto tag) {
    using T = decltype(tag);
    require_decoded(
        codec::decode_crop(bytes.data(), bytes.size(), dims_of(unit.shape_zyx), volume.data_as<T>(),
                           prediction ? prediction->data_as<T>() : nullptr),
        path, name, offset);
  });
  check_bool_voxels(volume, path, name, offset);
  return Slab{std::move(volume), in_grid.origin_zyx};
}

std::optional<UnitBox> single_label_crop(std::span<const std::uint8_t> bytes,
                                         const EntryRecord& record, std::size_t k,
                                         const Shape3& shape_zyx, std::uint64_t label,
                                         const std::string& path, const std::string& field,
                                         std::uint64_t offset) {
  if (bytes.empty() || record.reference.present()) return std::nullopt;
  const UnitBox unit = unit_box(record, k, shape_zyx);
  const codec::CropBox crop =
      checked_crop(bytes, record, k, unit, path, chunk_field(field, record, k), offset);
  if (crop.empty) return UnitBox{unit.origin_zyx, {0, 0, 0}};
  if (crop.only_label != label) return std::nullopt;
  return crop_in_grid(unit, crop);
}

void decode_unit_into(std::span<const std::uint8_t> bytes, const EntryRecord& record, std::size_t k,
                      const Shape3& shape_zyx, std::uint8_t* slices, std::int64_t z_begin,
                      const std::string& path, const std::string& field, std::uint64_t offset) {
  const UnitBox unit = unit_box(record, k, shape_zyx);
  const auto at = [](std::int64_t v) { return static_cast<std::size_t>(v); };
  const Shape3& o = unit.origin_zyx;
  std::uint8_t* origin =
      slices + at(((o[0] - z_begin) * shape_zyx[1] + o[1]) * shape_zyx[2] + o[2]);
  require_decoded(codec::decode_chunk_into(bytes.data(), bytes.size(), dims_of(unit.shape_zyx),
                                           origin, at(shape_zyx[2]), at(shape_zyx[1]), true),
                  path, chunk_field(field, record, k), offset);
}

void decode_cm_chunk_into(std::span<const std::uint8_t> bytes, const EntryRecord& record,
                          std::size_t k, LabelVolume& volume, const std::string& path,
                          const std::string& field, std::uint64_t offset) {
  const std::string name = chunk_field(field, record, k);
  require_checksum(bytes, record.chunks[k].xxh3, path, name, offset);
  const Shape3& shape_zyx = volume.shape_zyx();
  const auto depth = static_cast<std::int64_t>(record.chunk_depth);
  const std::int64_t z0 = static_cast<std::int64_t>(k) * depth;
  if (z0 >= shape_zyx[0]) throw_at<FormatError>(path, name, offset, "chunk beyond the grid");
  const Shape3 chunk_shape{std::min(depth, shape_zyx[0] - z0), shape_zyx[1], shape_zyx[2]};
  const auto first = static_cast<std::size_t>(z0 * shape_zyx[1] * shape_zyx[2]);
  const auto count = static_cast<std::size_t>(chunk_shape[0] * chunk_shape[1] * chunk_shape[2]);
  detail::visit_dtype(record.dtype, [&](auto tag) {
    using T = decltype(tag);
    require_decoded(codec::decode_chunk(bytes.data(), bytes.size(), dims_of(chunk_shape),
                                        volume.data_as<T>() + first, true),
                    path, name, offset);
  });
  if (volume.dtype() == DType::kBool) {
    const auto* voxels = volume.data_as<std::uint8_t>() + first;
    const auto* bad = std::find_if(voxels, voxels + count, [](std::uint8_t b) { return b > 1; });
    if (bad != voxels + count) {
      throw_at<FormatError>(path, name, offset,
                            "bool voxel " +
                                std::to_string(first + static_cast<std::size_t>(bad - voxels)) +
                                " is out of range; expected 0 or 1, found " + std::to_string(*bad));
    }
  }
}

}  // namespace medmask::container
