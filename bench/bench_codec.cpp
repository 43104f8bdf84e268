// bench/bench_codec.cpp: encode and decode speed of the label codec on the sample case (the 117
// masks of examples/data/s0000 folded into one uint8 map, label i+1 for the i-th file in sorted
// order), per level, with 1 and 2 threads. Counters: bytes of codec data, voxels per second.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "codec/label_codec.hpp"
#include "medmask/nifti.hpp"

namespace {

using medmask::codec::Dims;
using medmask::codec::Level;

struct Case {
  Dims dims{};
  std::vector<std::uint8_t> voxels;
};

const Case& sample_case() {
  static const Case c = [] {
    Case out;
    std::vector<std::string> files;
    for (const auto& e :
         std::filesystem::directory_iterator(MEDMASK_SOURCE_DIR "/examples/data/s0000")) {
      const std::string name = e.path().string();
      if (name.size() > 7 && name.ends_with(".nii.gz")) files.push_back(name);
    }
    std::sort(files.begin(), files.end());
    for (std::size_t i = 0; i < files.size(); ++i) {
      const medmask::LabelVolume v =
          medmask::read_nifti(files[i]).volume.converted(medmask::DType::kUInt8);
      const auto& s = v.shape_zyx();
      const auto nz = static_cast<std::size_t>(s[0]), ny = static_cast<std::size_t>(s[1]),
                 nx = static_cast<std::size_t>(s[2]);
      if (out.voxels.empty()) {
        out.dims = Dims{nx, ny, nz};
        out.voxels.assign(nx * ny * nz, 0);
      }
      const auto* p = static_cast<const std::uint8_t*>(v.data());
      for (std::size_t k = 0; k < out.voxels.size(); ++k) {
        if (p[k] != 0) out.voxels[k] = static_cast<std::uint8_t>(i + 1);
      }
    }
    return out;
  }();
  return c;
}

void encode(benchmark::State& state) {
  const Case& c = sample_case();
  const auto level = static_cast<Level>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  std::size_t bytes = 0;
  for (auto _ : state) {
    const auto chunks = medmask::codec::encode_chunks(c.voxels.data(), c.dims, 64, level, threads);
    bytes = 0;
    for (const auto& ch : chunks) bytes += ch.size();
    benchmark::DoNotOptimize(bytes);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
  state.counters["voxels/s"] = benchmark::Counter(static_cast<double>(c.voxels.size()),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

void decode(benchmark::State& state) {
  const Case& c = sample_case();
  const auto level = static_cast<Level>(state.range(0));
  const auto threads = static_cast<unsigned>(state.range(1));
  const auto chunks = medmask::codec::encode_chunks(c.voxels.data(), c.dims, 64, level, threads);
  std::vector<std::span<const std::uint8_t>> spans(chunks.begin(), chunks.end());
  std::vector<std::uint8_t> out(c.voxels.size());
  for (auto _ : state) {
    const auto status = medmask::codec::decode_chunks(spans, c.dims, 64, out.data(), threads);
    if (status != medmask::codec::Status::kOk) state.SkipWithError("decode failed");
    benchmark::ClobberMemory();
  }
  if (out != c.voxels) state.SkipWithError("round trip differs");
  state.counters["voxels/s"] = benchmark::Counter(static_cast<double>(c.voxels.size()),
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(encode)
    ->ArgsProduct({{0, 1, 2}, {1, 2}})
    ->ArgNames({"level", "threads"})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(decode)
    ->ArgsProduct({{0, 1, 2}, {1, 2}})
    ->ArgNames({"level", "threads"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
