// codec/chunking.cpp: a volume as independent z-chunks, coded on a few threads.
#include <algorithm>
#include <atomic>
#include <thread>

#include "codec/label_codec.hpp"

namespace medmask::codec {
namespace {

// Runs job(i) for i in [0, count) on up to `threads` threads (the caller's thread included).
template <class Job>
void parallel_for(std::size_t count, unsigned threads, Job job) {
  const std::size_t workers = std::min<std::size_t>(std::max(1u, threads), count);
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) job(i);
  };
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < workers; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
}

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
  parallel_for(count, threads, [&](std::size_t i) {
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
  std::vector<Status> results(chunks.size(), Status::kOk);
  parallel_for(chunks.size(), threads, [&](std::size_t i) {
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
