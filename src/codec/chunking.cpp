// codec/chunking.cpp: a volume as independent z-chunks, coded on a few threads.
#include <algorithm>
#include <numeric>

#include "codec/label_codec.hpp"
#include "detail/parallel_for.hpp"

namespace medmask::codec {
namespace {

std::size_t chunk_count(std::size_t nz, std::size_t depth) {
  return nz == 0 ? 0 : (nz - 1) / depth + 1;
}

}  // namespace

template <class T>
std::vector<std::vector<std::uint8_t>> encode_chunks(const T* voxels, Dims dims,
                                                     std::size_t chunk_depth, Level level,
                                                     unsigned threads) {
  if (chunk_depth == 0) chunk_depth = dims.nz == 0 ? 1 : dims.nz;
  const std::size_t count = chunk_count(dims.nz, chunk_depth);
  const std::size_t slice = dims.nx * dims.ny;
  std::vector<std::vector<std::uint8_t>> chunks(count);
  detail::parallel_for(count, threads, [&](std::size_t i) {
    const std::size_t z0 = i * chunk_depth;
    const std::size_t depth = std::min(chunk_depth, dims.nz - z0);
    chunks[i] = encode_chunk(voxels + z0 * slice, Dims{dims.nx, dims.ny, depth}, level);
  });
  return chunks;
}

template <class T>
Status decode_chunks(const std::vector<std::span<const std::uint8_t>>& chunks, Dims dims,
                     std::size_t chunk_depth, T* out, unsigned threads) {
  if (chunk_depth == 0) return Status::kBadArgument;
  if (chunks.size() != chunk_count(dims.nz, chunk_depth)) return Status::kBadArgument;
  const std::size_t slice = dims.nx * dims.ny;
  // Decoding time follows a chunk's coded size, and content is often concentrated in a few
  // chunks: the largest go first so that no thread is left with a big one at the end.
  std::vector<std::size_t> order(chunks.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return chunks[a].size() > chunks[b].size();
  });
  std::vector<Status> results(chunks.size(), Status::kOk);
  detail::parallel_for(chunks.size(), threads, [&](std::size_t k) {
    const std::size_t i = order[k];
    const std::size_t z0 = i * chunk_depth;
    const std::size_t depth = std::min(chunk_depth, dims.nz - z0);
    results[i] = decode_chunk(chunks[i].data(), chunks[i].size(), Dims{dims.nx, dims.ny, depth},
                              out + z0 * slice);
  });
  for (const Status s : results) {
    if (s != Status::kOk) return s;
  }
  return Status::kOk;
}

#define MEDMASK_CODEC_INSTANTIATE(T)                                                            \
  template std::vector<std::vector<std::uint8_t>> encode_chunks<T>(const T*, Dims, std::size_t, \
                                                                   Level, unsigned);            \
  template Status decode_chunks<T>(const std::vector<std::span<const std::uint8_t>>&, Dims,     \
                                   std::size_t, T*, unsigned);
MEDMASK_CODEC_INSTANTIATE(std::uint8_t)
MEDMASK_CODEC_INSTANTIATE(std::uint16_t)
MEDMASK_CODEC_INSTANTIATE(std::uint32_t)
#undef MEDMASK_CODEC_INSTANTIATE

}  // namespace medmask::codec
