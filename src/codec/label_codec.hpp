// codec/label_codec.hpp: lossless coding of label volumes (uint8/uint16/uint32, numpy (z, y, x)).
//
// Each chunk is a self-describing stream (level, dtype width, dims, foreground crop box) coded by a
// binary adaptive range coder with a causal 3-D context, a run mode and candidate ranking. The
// bitstream is specified in docs/FORMAT.md Appendix A. Nothing here throws on bad input: decoders
// return a Status and never read or write out of bounds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace medmask::codec {

enum class Level : std::uint8_t { kFast = 0, kDefault = 1, kMax = 2 };

enum class Status {
  kOk,
  kTruncated,        // the stream ends before the data it announces
  kCorrupt,          // inconsistent stream (bad header, impossible symbol, trailing bytes)
  kUnsupported,      // unknown codec version or level, dtype width mismatch
  kBadArgument,      // dims or chunk list do not fit the call
  kNeedsPrediction,  // the stream was coded against a prediction, and none was given
};

struct Dims {
  std::size_t nx, ny, nz;  // x fastest, z slowest (numpy (z, y, x) C order)
};

const char* status_name(Status status);

// T is std::uint8_t, std::uint16_t or std::uint32_t (bool masks arrive as uint8 0/1).
// predicted: optionally, a prediction of the chunk's labels (dims voxels: a reference layer's
// labels translated into this chunk's values, FORMAT.md A.5.5). The chunk is then coded both
// without and against it, and the smaller stream is kept; a stream coded against it can only be
// decoded with the same prediction.
template <class T>
std::vector<std::uint8_t> encode_chunk(const T* voxels, Dims dims, Level level,
                                       const T* predicted = nullptr);

// out_is_zero: `out` already holds zeros (fresh zero pages), so the voxels outside the chunk's
// crop box, and its rows of zeros, are not written: untouched pages stay unmapped.
// predicted: the prediction the chunk was coded against (ignored by a stream coded without one;
// kNeedsPrediction when a stream needs it and it is null).
template <class T>
Status decode_chunk(const std::uint8_t* data, std::size_t size, Dims dims, T* out,
                    bool out_is_zero = false, const T* predicted = nullptr);

// The same into part of a larger array: `out` is the chunk's voxel (0, 0, 0) in an array whose
// rows hold `out_nx` voxels and whose slices `out_ny` rows (a tile decoded in place in its volume,
// with no buffer between). out_nx >= dims.nx, out_ny >= dims.ny.
template <class T>
Status decode_chunk_into(const std::uint8_t* data, std::size_t size, Dims dims, T* out,
                         std::size_t out_nx, std::size_t out_ny, bool out_is_zero,
                         const T* predicted = nullptr);

// Where a chunk's labels lie: its crop box (FORMAT.md Appendix A), the whole chunk when it is
// stored raw, or nothing (`empty`) when every voxel is 0. Voxels outside it are 0.
struct CropBox {
  std::size_t x0 = 0, y0 = 0, z0 = 0;
  Dims dims{0, 0, 0};
  bool empty = true;
  // Stream mode 4 (FORMAT.md A.5.6): the one nonzero label, which every voxel of the box is if
  // it is not 0 (the decoder can write no other value); 0 for the other modes.
  std::uint64_t only_label = 0;
};

// Reads a chunk's header (checked as decode_chunk checks it) for its crop box; width is the
// voxel size in bytes.
Status peek_crop(const std::uint8_t* data, std::size_t size, Dims dims, std::size_t width,
                 CropBox* crop);

// Decodes only the crop box (peek_crop) into `out`, an array of exactly crop.dims voxels that
// already holds zeros (rows of zeros are not written): a reader keeps a chunk's labels without
// the zeros around them.
template <class T>
Status decode_crop(const std::uint8_t* data, std::size_t size, Dims dims, T* out,
                   const T* predicted = nullptr);

// Reads only a chunk's header: its level (for reporting) without decoding.
Status peek_chunk_level(const std::uint8_t* data, std::size_t size, Level* level);

// Whether a stream was coded against a prediction (its mode, FORMAT.md A.2; false for a stream
// too short to say, which decoding then reports).
bool uses_prediction(const std::uint8_t* data, std::size_t size);

// The whole volume as independent z-chunks of chunk_depth slices (the last may be shorter), coded
// with up to `threads` threads. Chunk i holds slices [i * chunk_depth, min(nz, (i+1) *
// chunk_depth)).
template <class T>
std::vector<std::vector<std::uint8_t>> encode_chunks(const T* voxels, Dims dims,
                                                     std::size_t chunk_depth, Level level,
                                                     unsigned threads);

template <class T>
Status decode_chunks(const std::vector<std::span<const std::uint8_t>>& chunks, Dims dims,
                     std::size_t chunk_depth, T* out, unsigned threads);

}  // namespace medmask::codec
