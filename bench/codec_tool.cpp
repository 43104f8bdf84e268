// bench/codec_tool.cpp: encodes and decodes a .npy label volume with the MedMask codec and prints
// sizes and times (used by bench/codec_peers.py).
//
//   codec_tool FILE.npy [level 0|1|2|all] [chunk_depth] [threads] [repeats]
//
// chunk_depth 0 (the default) takes each level's depth as the archive writes it
// (medmask::default_chunk_depth).
//
// Output, one line per level: level=<n> depth=<d> bytes=<b> chunks=<c> encode_s=<t> decode_s=<t>
// ok=<0|1>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "codec/label_codec.hpp"
#include "medmask/archive.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using medmask::codec::Dims;
using medmask::codec::Level;

struct Npy {
  std::size_t width = 0;
  Dims dims{};
  std::vector<std::uint8_t> bytes;
};

// Minimal .npy reader: version 1/2 header, little-endian unsigned ints, C order, 1 to 3 dims.
bool read_npy(const std::string& path, Npy* npy) {
  std::ifstream f(path, std::ios::binary);
  std::vector<std::uint8_t> all((std::istreambuf_iterator<char>(f)),
                                std::istreambuf_iterator<char>());
  if (all.size() < 10 || std::memcmp(all.data(), "\x93NUMPY", 6) != 0) return false;
  std::size_t hlen = 0, hstart = 0;
  if (all[6] == 1) {
    hlen = all[8] | (std::size_t{all[9]} << 8);
    hstart = 10;
  } else {
    hlen = all[8] | (std::size_t{all[9]} << 8) | (std::size_t{all[10]} << 16) |
           (std::size_t{all[11]} << 24);
    hstart = 12;
  }
  const std::string header(all.begin() + static_cast<std::ptrdiff_t>(hstart),
                           all.begin() + static_cast<std::ptrdiff_t>(hstart + hlen));
  if (header.find("'fortran_order': False") == std::string::npos) return false;
  if (header.find("u1") != std::string::npos || header.find("|b1") != std::string::npos) {
    npy->width = 1;
  } else if (header.find("<u2") != std::string::npos) {
    npy->width = 2;
  } else if (header.find("<u4") != std::string::npos) {
    npy->width = 4;
  } else {
    return false;
  }
  const std::size_t open = header.find('(', header.find("shape"));
  const std::size_t close = header.find(')', open);
  std::vector<std::size_t> shape;
  std::string s = header.substr(open + 1, close - open - 1);
  for (std::size_t pos = 0; pos < s.size();) {
    const std::size_t comma = s.find(',', pos);
    const std::string item =
        s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.find_first_of("0123456789") != std::string::npos) shape.push_back(std::stoul(item));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  while (shape.size() < 3) shape.insert(shape.begin(), 1);
  npy->dims = Dims{shape[2], shape[1], shape[0]};
  npy->bytes.assign(all.begin() + static_cast<std::ptrdiff_t>(hstart + hlen), all.end());
  return npy->bytes.size() == shape[0] * shape[1] * shape[2] * npy->width;
}

template <class T>
void run(const Npy& npy, int level, std::size_t depth, unsigned threads, int repeats) {
  if (depth == 0)
    depth = medmask::default_chunk_depth(static_cast<medmask::CompressionLevel>(level));
  const std::size_t count = npy.dims.nx * npy.dims.ny * npy.dims.nz;
  std::vector<T> in(count);
  std::memcpy(in.data(), npy.bytes.data(), count * sizeof(T));
  double enc = 1e30, dec = 1e30;
  std::vector<std::vector<std::uint8_t>> chunks;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    chunks = medmask::codec::encode_chunks(in.data(), npy.dims, depth, static_cast<Level>(level),
                                           threads);
    enc = std::min(enc, std::chrono::duration<double>(Clock::now() - t0).count());
  }
  std::size_t bytes = 0;
  std::vector<std::span<const std::uint8_t>> spans;
  for (const auto& c : chunks) {
    bytes += c.size();
    spans.emplace_back(c);
  }
  std::vector<T> out(count);
  bool ok = true;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    const auto status = medmask::codec::decode_chunks(spans, npy.dims, depth, out.data(), threads);
    dec = std::min(dec, std::chrono::duration<double>(Clock::now() - t0).count());
    ok = ok && status == medmask::codec::Status::kOk;
  }
  ok = ok && out == in;
  std::printf("level=%d depth=%zu bytes=%zu chunks=%zu encode_s=%.6f decode_s=%.6f ok=%d\n", level,
              depth, bytes, chunks.size(), enc, dec, ok ? 1 : 0);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: codec_tool FILE.npy [level|all] [chunk_depth] [threads] [repeats]\n");
    return 2;
  }
  Npy npy;
  if (!read_npy(argv[1], &npy)) {
    std::fprintf(stderr, "%s: not a C-order uint8/uint16/uint32 .npy\n", argv[1]);
    return 1;
  }
  const std::string level = argc > 2 ? argv[2] : "all";
  const std::size_t depth = argc > 3 ? std::stoul(argv[3]) : 0;
  const unsigned threads = argc > 4 ? static_cast<unsigned>(std::stoul(argv[4])) : 2;
  const int repeats = argc > 5 ? std::stoi(argv[5]) : 5;
  for (int lv = 0; lv <= 2; ++lv) {
    if (level != "all" && std::stoi(level) != lv) continue;
    if (npy.width == 1) run<std::uint8_t>(npy, lv, depth, threads, repeats);
    if (npy.width == 2) run<std::uint16_t>(npy, lv, depth, threads, repeats);
    if (npy.width == 4) run<std::uint32_t>(npy, lv, depth, threads, repeats);
  }
  return 0;
}
