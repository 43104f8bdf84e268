// fuzz/fuzz_npz.cpp: a NumPy .npz (a ZIP of .npy members, stored or deflated).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "medmask/numpy_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = medmask::fuzz::write_scratch(data, size, ".npz");
  return medmask::fuzz::expect_typed_errors(
      [&] { (void)medmask::read_npz(path, medmask::fuzz::fuzz_limits()); });
}
