// fuzz/fuzz_codec_roundtrip.cpp: encode then decode must reproduce the input exactly, coded alone
// and against a prediction.
// Input: byte 0 picks the width (1, 2, 4) and level (fast, default, max), bytes 1..3 the dims
// (x, y, z: 1..32); the rest fills the voxels (repeated as needed; a byte is a small label so
// that the volumes look like masks, the high bits of byte 0 widen some labels to the full type).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "codec/label_codec.hpp"

namespace {

template <class T>
void round_trip(const std::uint8_t* bytes, std::size_t size, medmask::codec::Dims dims,
                medmask::codec::Level level, bool wide_labels) {
  std::vector<T> voxels(dims.nx * dims.ny * dims.nz);
  for (std::size_t i = 0; i < voxels.size(); ++i) {
    const std::uint8_t byte = size == 0 ? 0 : bytes[i % size];
    T value = static_cast<T>(byte & 0x0f);
    if (wide_labels && (byte & 0x80) != 0) value = static_cast<T>(~T{0} - (byte & 0x0f));
    voxels[i] = value;
  }
  const std::vector<std::uint8_t> stream =
      medmask::codec::encode_chunk<T>(voxels.data(), dims, level);
  std::vector<T> decoded(voxels.size(), T{1});
  const medmask::codec::Status status =
      medmask::codec::decode_chunk<T>(stream.data(), stream.size(), dims, decoded.data());
  if (status != medmask::codec::Status::kOk || decoded != voxels) std::abort();
  // Against a prediction (stream mode 5): a near-copy, as a layer coded against another (every
  // 37th voxel 0, so that coding against it is usually the smaller stream).
  std::vector<T> predicted = voxels;
  for (std::size_t i = 0; i < predicted.size(); i += 37) predicted[i] = T{0};
  const std::vector<std::uint8_t> against =
      medmask::codec::encode_chunk<T>(voxels.data(), dims, level, predicted.data());
  std::vector<T> again(voxels.size(), T{1});
  if (medmask::codec::decode_chunk<T>(against.data(), against.size(), dims, again.data(), false,
                                      predicted.data()) != medmask::codec::Status::kOk ||
      again != voxels) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  const medmask::codec::Dims dims{std::size_t{data[1]} % 32 + 1, std::size_t{data[2]} % 32 + 1,
                                  std::size_t{data[3]} % 32 + 1};
  const auto level = static_cast<medmask::codec::Level>((data[0] / 3) % 3);
  const bool wide = (data[0] & 0x80) != 0;
  switch (data[0] % 3) {
    case 0:
      round_trip<std::uint8_t>(data + 4, size - 4, dims, level, wide);
      break;
    case 1:
      round_trip<std::uint16_t>(data + 4, size - 4, dims, level, wide);
      break;
    default:
      round_trip<std::uint32_t>(data + 4, size - 4, dims, level, wide);
      break;
  }
  return 0;
}
