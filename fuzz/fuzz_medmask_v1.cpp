// fuzz/fuzz_medmask_v1.cpp: files of the original medmask 0.1.x (MSK1 .msk, MSKA .mska).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "medmask/medmask_v1.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = medmask::fuzz::write_scratch(data, size, ".msk");
  return medmask::fuzz::expect_typed_errors(
      [&] { (void)medmask::read_medmask_v1(path, medmask::fuzz::fuzz_limits()); });
}
