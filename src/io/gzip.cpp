// gzip.cpp: libdeflate whole-buffer gzip (RFC 1952), multi-member aware.
#include "io/gzip.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <cstring>

#include "medmask/error.hpp"

namespace medmask::io {

namespace {

// DEFLATE cannot expand data by more than about 1032:1, so no valid stream needs more output.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const noexcept { libdeflate_free_decompressor(d); }
};
struct CompressorDeleter {
  void operator()(libdeflate_compressor* c) const noexcept { libdeflate_free_compressor(c); }
};

std::shared_ptr<std::uint8_t[]> allocate(std::size_t size) {
  // Plain new[]: no zero fill, every byte is written by the decompressor before use.
  return std::shared_ptr<std::uint8_t[]>(new std::uint8_t[std::max<std::size_t>(size, 1)]);
}

}  // namespace

bool is_gzip(std::span<const std::uint8_t> bytes) noexcept {
  return bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
}

ByteBuffer gunzip(std::span<const std::uint8_t> bytes, const std::string& name,
                  std::uint64_t max_output) {
  if (bytes.size() < 18) {
    throw FormatError(name + ": gzip stream of " + std::to_string(bytes.size()) +
                          " bytes is truncated; expected at least 18",
                      name, 0);
  }
  std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> decompressor(
      libdeflate_alloc_decompressor());
  if (!decompressor) throw LimitError(name + ": cannot allocate a gzip decompressor", name);

  const std::uint64_t ratio_bound = bytes.size() * kMaxDeflateRatio + 4096;
  const std::uint64_t limit = std::min(max_output, ratio_bound);
  // ISIZE (last 4 bytes) is the size mod 2^32 of the last member only: a hint, never trusted.
  const std::uint8_t* tail = bytes.data() + bytes.size() - 4;
  const std::uint64_t hint = std::uint64_t{tail[0]} | std::uint64_t{tail[1]} << 8 |
                             std::uint64_t{tail[2]} << 16 | std::uint64_t{tail[3]} << 24;
  std::uint64_t capacity =
      std::max<std::uint64_t>(1, std::min(std::max<std::uint64_t>(hint, 1024), limit));

  ByteBuffer out;
  out.data = allocate(static_cast<std::size_t>(capacity));
  std::size_t in_pos = 0;
  while (in_pos < bytes.size()) {
    if (!is_gzip(bytes.subspan(in_pos))) {
      const bool zero_padding = std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(in_pos),
                                            bytes.end(), [](std::uint8_t b) { return b == 0; });
      if (in_pos > 0 && zero_padding) break;
      throw FormatError(
          name + (in_pos == 0 ? ": not gzip data (it does not start with 1f 8b)"
                              : ": bytes after the gzip data are not gzip (no 1f 8b)"),
          name, in_pos);
    }
    for (;;) {
      std::size_t in_used = 0;
      std::size_t out_used = 0;
      const libdeflate_result result = libdeflate_gzip_decompress_ex(
          decompressor.get(), bytes.data() + in_pos, bytes.size() - in_pos,
          out.data.get() + out.size, static_cast<std::size_t>(capacity) - out.size, &in_used,
          &out_used);
      if (result == LIBDEFLATE_SUCCESS) {
        in_pos += in_used;
        out.size += out_used;
        break;
      }
      if (result != LIBDEFLATE_INSUFFICIENT_SPACE) {
        throw FormatError(name + ": the gzip data is corrupt or truncated", name, in_pos);
      }
      if (capacity >= limit) {
        if (limit < ratio_bound) {
          throw LimitError(
              name + ": decompressed size exceeds the limit of " + std::to_string(limit) + " bytes",
              name, in_pos);
        }
        throw FormatError(
            name + ": the gzip data is corrupt (it inflates beyond what deflate allows)", name,
            in_pos);
      }
      capacity = std::min(limit, capacity * 2);
      auto grown = allocate(static_cast<std::size_t>(capacity));
      std::memcpy(grown.get(), out.data.get(), out.size);
      out.data = std::move(grown);
    }
  }
  return out;
}

std::vector<std::uint8_t> gzip_compress(std::span<const std::uint8_t> bytes, int level) {
  if (level < 0 || level > 12) {
    throw ArgumentError("gzip level must be in 0..12, found " + std::to_string(level));
  }
  std::unique_ptr<libdeflate_compressor, CompressorDeleter> compressor(
      libdeflate_alloc_compressor(level));
  if (!compressor) throw LimitError("cannot allocate a gzip compressor");
  std::vector<std::uint8_t> out(libdeflate_gzip_compress_bound(compressor.get(), bytes.size()));
  const std::size_t size = libdeflate_gzip_compress(compressor.get(), bytes.data(), bytes.size(),
                                                    out.data(), out.size());
  if (size == 0) throw LimitError("gzip compression failed: output exceeds its bound");
  out.resize(size);
  return out;
}

}  // namespace medmask::io
