#include "container/zstd_section.hpp"

#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <memory>

#include "container/error_message.hpp"
#include "medmask/error.hpp"

namespace medmask::container {

namespace {

// Bytes of a uint16/uint32 volume swapped in place between host and little-endian order.
void swap_to_little_endian(void* data, std::size_t count, std::size_t width) {
  if constexpr (std::endian::native == std::endian::little) {
    (void)data, (void)count, (void)width;
  } else {
    auto* bytes = static_cast<std::uint8_t*>(data);
    for (std::size_t i = 0; i < count; ++i)
      std::reverse(bytes + i * width, bytes + (i + 1) * width);
  }
}

// This thread's decompression context, kept between calls: creating one cost about 15 us, a
// tenth of opening a small file (its index is one zstd frame).
ZSTD_DCtx* thread_decompression_context() {
  struct Free {
    void operator()(ZSTD_DCtx* context) const { ZSTD_freeDCtx(context); }
  };
  // Created on first use, and again after a failed creation (out of memory once is not forever).
  thread_local std::unique_ptr<ZSTD_DCtx, Free> context;
  if (context == nullptr) context.reset(ZSTD_createDCtx());
  if (context == nullptr) throw std::bad_alloc();
  ZSTD_DCtx_reset(context.get(), ZSTD_reset_session_and_parameters);
  return context.get();
}

}  // namespace

std::vector<std::uint8_t> zstd_compress(const void* data, std::size_t size, int level,
                                        std::span<const std::uint8_t> dictionary) {
  if (level < ZSTD_minCLevel() || level > ZSTD_maxCLevel()) {
    throw ArgumentError("zstd level " + std::to_string(level) + " is out of range; expected " +
                        std::to_string(ZSTD_minCLevel()) + ".." + std::to_string(ZSTD_maxCLevel()));
  }
  std::vector<std::uint8_t> out(ZSTD_compressBound(size));
  ZSTD_CCtx* context = ZSTD_createCCtx();
  if (context == nullptr) throw std::bad_alloc();
  ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(context, ZSTD_c_contentSizeFlag, 1);
  ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 0);  // the index holds an XXH3 instead
  if (!dictionary.empty()) ZSTD_CCtx_refPrefix(context, dictionary.data(), dictionary.size());
  // The level tables never exceed a 2^27 window, the most FORMAT.md 5 lets a reader demand.
  const std::size_t written = ZSTD_compress2(context, out.data(), out.size(), data, size);
  ZSTD_freeCCtx(context);
  if (ZSTD_isError(written)) {
    throw ArgumentError(std::string("zstd compression failed: ") + ZSTD_getErrorName(written));
  }
  out.resize(written);
  out.shrink_to_fit();
  return out;
}

void zstd_decompress_exact(std::span<const std::uint8_t> frame, void* out, std::size_t out_size,
                           const std::string& path, const std::string& field, std::uint64_t offset,
                           std::span<const std::uint8_t> dictionary) {
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    throw_at<FormatError>(path, field, offset, "not a zstd frame");
  }
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN || declared != out_size) {
    throw_at<FormatError>(path, field, offset,
                          "zstd frame content size mismatch; expected " + std::to_string(out_size) +
                              ", found " +
                              (declared == ZSTD_CONTENTSIZE_UNKNOWN ? std::string("none")
                                                                    : std::to_string(declared)));
  }
  const std::size_t frame_size = ZSTD_findFrameCompressedSize(frame.data(), frame.size());
  if (ZSTD_isError(frame_size) || frame_size != frame.size()) {
    throw_at<FormatError>(path, field, offset,
                          "section is not exactly one zstd frame; expected " +
                              std::to_string(frame.size()) + " bytes, found " +
                              (ZSTD_isError(frame_size) ? std::string(ZSTD_getErrorName(frame_size))
                                                        : std::to_string(frame_size)));
  }
  ZSTD_DCtx* context = thread_decompression_context();
  ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, 27);
  if (!dictionary.empty()) ZSTD_DCtx_refPrefix(context, dictionary.data(), dictionary.size());
  const std::size_t written =
      ZSTD_decompressDCtx(context, out, out_size, frame.data(), frame.size());
  if (ZSTD_isError(written)) {
    throw_at<FormatError>(path, field, offset,
                          std::string("corrupt zstd frame: ") + ZSTD_getErrorName(written));
  }
  if (written != out_size) {
    throw_at<FormatError>(path, field, offset,
                          "decoded size mismatch; expected " + std::to_string(out_size) +
                              ", found " + std::to_string(written));
  }
}

void check_bool_voxels(const LabelVolume& volume, const std::string& path, const std::string& field,
                       std::uint64_t offset) {
  if (volume.dtype() != DType::kBool) return;
  const auto* bytes = volume.data_as<std::uint8_t>();
  const auto* bad =
      std::find_if(bytes, bytes + volume.size(), [](std::uint8_t b) { return b > 1; });
  if (bad != bytes + volume.size()) {
    throw_at<FormatError>(path, field, offset,
                          "bool voxel " + std::to_string(bad - bytes) +
                              " is out of range; expected 0 or 1, found " + std::to_string(*bad));
  }
}

std::vector<std::uint8_t> encode_volume(const LabelVolume& volume, int level) {
  if constexpr (std::endian::native == std::endian::little) {
    return zstd_compress(volume.data(), volume.byte_size(), level);
  } else {
    LabelVolume copy = volume.clone();
    swap_to_little_endian(copy.data(), copy.size(), dtype_size(copy.dtype()));
    return zstd_compress(copy.data(), copy.byte_size(), level);
  }
}

LabelVolume decode_volume(std::span<const std::uint8_t> frame, DType dtype, const Shape3& shape_zyx,
                          const std::string& path, const std::string& field, std::uint64_t offset) {
  LabelVolume volume(dtype, shape_zyx);
  zstd_decompress_exact(frame, volume.data(), volume.byte_size(), path, field, offset);
  swap_to_little_endian(volume.data(), volume.size(), dtype_size(dtype));
  check_bool_voxels(volume, path, field, offset);
  return volume;
}

}  // namespace medmask::container
