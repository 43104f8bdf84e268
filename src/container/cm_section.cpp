#include "container/cm_section.hpp"

#include <algorithm>
#include <memory>
#include <thread>

#include "codec/label_codec.hpp"
#include "container/error_message.hpp"
#include "container/zstd_section.hpp"
#include "detail/checksum.hpp"
#include "detail/dtype_dispatch.hpp"
#include "detail/volume_memory.hpp"
#include "medmask/error.hpp"

namespace medmask::detail {

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

std::string level_text(CompressionLevel level) {
  switch (level) {
    case CompressionLevel::kFast:
      return "fast";
    case CompressionLevel::kMax:
      return "max";
    case CompressionLevel::kDefault:
      break;
  }
  return "default";
}

codec::Dims dims_of(const Shape3& shape_zyx) {
  return {static_cast<std::size_t>(shape_zyx[2]), static_cast<std::size_t>(shape_zyx[1]),
          static_cast<std::size_t>(shape_zyx[0])};
}

}  // namespace

unsigned codec_threads() noexcept {
  return std::clamp(std::thread::hardware_concurrency(), 1u, 2u);
}

CmSection encode_cm_section(const LabelVolume& volume, std::uint32_t chunk_depth,
                            CompressionLevel level) {
  CmSection section;
  section.level = level_text(level);
  std::vector<std::vector<std::uint8_t>> chunks;
  detail::visit_dtype(volume.dtype(), [&](auto tag) {
    using T = decltype(tag);
    chunks = codec::encode_chunks(volume.data_as<T>(), dims_of(volume.shape_zyx()), chunk_depth,
                                  codec_level(level), codec_threads());
  });
  for (const auto& chunk : chunks) {
    section.chunks.push_back(
        {section.bytes.size(), chunk.size(), xxh3_64(chunk.data(), chunk.size())});
    section.bytes.insert(section.bytes.end(), chunk.begin(), chunk.end());
  }
  return section;
}

namespace {

std::string chunk_field(const std::string& field, std::size_t k, std::size_t count) {
  return field + ", chunk " + std::to_string(k) + " of " + std::to_string(count);
}

}  // namespace

LabelVolume decode_cm_section(std::span<const std::uint8_t> section, const EntryRecord& record,
                              const Shape3& shape_zyx, const std::string& path,
                              const std::string& field, std::uint64_t offset) {
  const auto chunk_field = [&](std::size_t i) {
    return detail::chunk_field(field, i, record.chunks.size());
  };
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
    const std::uint64_t computed = xxh3_64(bytes.data(), bytes.size());
    if (computed != chunk.xxh3) {
      throw_at<FormatError>(
          path, chunk_field(i), offset + chunk.offset,
          "checksum mismatch; stored " + hex64(chunk.xxh3) + ", computed " + hex64(computed));
    }
    chunks.push_back(bytes);
  }
  LabelVolume volume(record.dtype, shape_zyx);
  const codec::Dims dims = dims_of(shape_zyx);
  const std::size_t depth = record.chunk_depth;
  detail::visit_dtype(record.dtype, [&](auto tag) {
    using T = decltype(tag);
    T* out = volume.data_as<T>();
    if (codec::decode_chunks(chunks, dims, depth, out, codec_threads()) == codec::Status::kOk) {
      return;
    }
    // Rare path: decode chunk by chunk to name the first bad one.
    const std::size_t slice = dims.nx * dims.ny;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
      const std::size_t z0 = i * depth;
      const codec::Dims part{dims.nx, dims.ny, std::min(depth, dims.nz - z0)};
      const codec::Status status =
          codec::decode_chunk(chunks[i].data(), chunks[i].size(), part, out + z0 * slice);
      if (status != codec::Status::kOk) {
        throw_at<FormatError>(path, chunk_field(i), offset + record.chunks[i].offset,
                              std::string("codec error: ") + codec::status_name(status));
      }
    }
    throw_at<FormatError>(path, field, offset, "chunk table does not fit the grid");
  });
  check_bool_voxels(volume, path, field, offset);
  return volume;
}

LabelVolume decode_cm_chunk(std::span<const std::uint8_t> bytes, const EntryRecord& record,
                            std::size_t k, const Shape3& shape_zyx, const std::string& path,
                            const std::string& field, std::uint64_t offset) {
  const std::string name = chunk_field(field, k, record.chunks.size());
  const std::uint64_t computed = xxh3_64(bytes.data(), bytes.size());
  if (computed != record.chunks[k].xxh3) {
    throw_at<FormatError>(path, name, offset,
                          "checksum mismatch; stored " + hex64(record.chunks[k].xxh3) +
                              ", computed " + hex64(computed));
  }
  const auto depth = static_cast<std::int64_t>(record.chunk_depth);
  const std::int64_t z0 = static_cast<std::int64_t>(k) * depth;
  const Shape3 chunk_shape{std::min(depth, shape_zyx[0] - z0), shape_zyx[1], shape_zyx[2]};
  // The decoder writes every voxel of the chunk, so its buffer need not be cleared first.
  std::shared_ptr<void> buffer = allocate_for_overwrite(
      static_cast<std::size_t>(chunk_shape[0] * chunk_shape[1] * chunk_shape[2]) *
      dtype_size(record.dtype));
  void* voxels = buffer.get();
  LabelVolume volume(record.dtype, chunk_shape, voxels, std::move(buffer));
  detail::visit_dtype(record.dtype, [&](auto tag) {
    using T = decltype(tag);
    const codec::Status status =
        codec::decode_chunk(bytes.data(), bytes.size(), dims_of(chunk_shape), volume.data_as<T>());
    if (status != codec::Status::kOk) {
      throw_at<FormatError>(path, name, offset,
                            std::string("codec error: ") + codec::status_name(status));
    }
  });
  check_bool_voxels(volume, path, name, offset);
  return volume;
}

void decode_cm_chunk_into(std::span<const std::uint8_t> bytes, const EntryRecord& record,
                          std::size_t k, LabelVolume& volume, const std::string& path,
                          const std::string& field, std::uint64_t offset) {
  const std::string name = chunk_field(field, k, record.chunks.size());
  const std::uint64_t computed = xxh3_64(bytes.data(), bytes.size());
  if (computed != record.chunks[k].xxh3) {
    throw_at<FormatError>(path, name, offset,
                          "checksum mismatch; stored " + hex64(record.chunks[k].xxh3) +
                              ", computed " + hex64(computed));
  }
  const Shape3& shape_zyx = volume.shape_zyx();
  const auto depth = static_cast<std::int64_t>(record.chunk_depth);
  const std::int64_t z0 = static_cast<std::int64_t>(k) * depth;
  if (z0 >= shape_zyx[0]) throw_at<FormatError>(path, name, offset, "chunk beyond the grid");
  const Shape3 chunk_shape{std::min(depth, shape_zyx[0] - z0), shape_zyx[1], shape_zyx[2]};
  const auto first = static_cast<std::size_t>(z0 * shape_zyx[1] * shape_zyx[2]);
  const auto count = static_cast<std::size_t>(chunk_shape[0] * chunk_shape[1] * chunk_shape[2]);
  detail::visit_dtype(record.dtype, [&](auto tag) {
    using T = decltype(tag);
    const codec::Status status = codec::decode_chunk(
        bytes.data(), bytes.size(), dims_of(chunk_shape), volume.data_as<T>() + first, true);
    if (status != codec::Status::kOk) {
      throw_at<FormatError>(path, name, offset,
                            std::string("codec error: ") + codec::status_name(status));
    }
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

}  // namespace medmask::detail
