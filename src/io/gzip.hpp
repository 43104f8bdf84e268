// gzip.hpp (internal): whole-buffer gzip compression and decompression with libdeflate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace medmask::io {

// A byte buffer that is not zero-filled on allocation (decompressed volumes are large and every
// byte is overwritten). Shared so that a LabelVolume can borrow it without a copy.
struct ByteBuffer {
  std::shared_ptr<std::uint8_t[]> data;
  std::size_t size = 0;
  std::span<const std::uint8_t> span() const noexcept { return {data.get(), size}; }
};

// Largest decompressed size accepted (4 GiB): beyond it, LimitError.
inline constexpr std::uint64_t kMaxGunzipBytes = std::uint64_t{4} << 30;

// True when bytes start with the gzip magic 1f 8b.
bool is_gzip(std::span<const std::uint8_t> bytes) noexcept;

// Decompresses every gzip member of bytes, concatenated (trailing zero padding is ignored).
// name is used in error messages. Throws: FormatError (corrupt or truncated stream),
// LimitError (output beyond max_output bytes).
ByteBuffer gunzip(std::span<const std::uint8_t> bytes, const std::string& name,
                  std::uint64_t max_output = kMaxGunzipBytes);

// One gzip member of bytes at level (0..12, libdeflate's scale). Throws: ArgumentError (level).
std::vector<std::uint8_t> gzip_compress(std::span<const std::uint8_t> bytes, int level);

}  // namespace medmask::io
