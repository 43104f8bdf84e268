// fuzz/fuzz_npy.cpp: a NumPy .npy array (magic, header dict, dtype, order, data).
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "medmask/numpy_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return medmask::fuzz::expect_typed_errors([&] {
    (void)medmask::parse_npy(std::span<const std::uint8_t>(data, size), "fuzz.npy",
                             medmask::fuzz::fuzz_limits());
  });
}
