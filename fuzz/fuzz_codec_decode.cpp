// fuzz/fuzz_codec_decode.cpp: the label codec's chunk decoder on arbitrary streams.
// Input: byte 0 picks the voxel width (1, 2 or 4 bytes), bytes 1..3 the dims (x, y, z: 1..64),
// the rest is the chunk stream. The decoder must return a Status, never read or write out of
// bounds (ASan watches the exactly sized output buffers): the whole chunk (with a prediction too
// for a stream that needs one), and its crop box alone.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "codec/label_codec.hpp"

namespace {

template <class T>
void decode(const std::uint8_t* stream, std::size_t size, medmask::codec::Dims dims) {
  std::vector<T> out(dims.nx * dims.ny * dims.nz);
  (void)medmask::codec::decode_chunk<T>(stream, size, dims, out.data());
  if (medmask::codec::uses_prediction(stream, size)) {
    // A stream coded against a prediction (modes 3 and 5), given one: labels 0-2 in stripes.
    std::vector<T> predicted(out.size());
    for (std::size_t i = 0; i < predicted.size(); ++i) predicted[i] = static_cast<T>(i / 5 % 3);
    (void)medmask::codec::decode_chunk<T>(stream, size, dims, out.data(), false, predicted.data());
  }
  medmask::codec::CropBox crop;
  if (medmask::codec::peek_crop(stream, size, dims, sizeof(T), &crop) !=
          medmask::codec::Status::kOk ||
      crop.empty) {
    return;
  }
  std::vector<T> box(crop.dims.nx * crop.dims.ny * crop.dims.nz);
  (void)medmask::codec::decode_crop<T>(stream, size, dims, box.data());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const medmask::codec::Dims dims{std::size_t{data[1]} % 64 + 1, std::size_t{data[2]} % 64 + 1,
                                  std::size_t{data[3]} % 64 + 1};
  const std::uint8_t* stream = data + 4;
  const std::size_t stream_size = size - 4;
  medmask::codec::Level level{};
  (void)medmask::codec::peek_chunk_level(stream, stream_size, &level);
  switch (data[0] % 3) {
    case 0:
      decode<std::uint8_t>(stream, stream_size, dims);
      break;
    case 1:
      decode<std::uint16_t>(stream, stream_size, dims);
      break;
    default:
      decode<std::uint32_t>(stream, stream_size, dims);
      break;
  }
  return 0;
}
