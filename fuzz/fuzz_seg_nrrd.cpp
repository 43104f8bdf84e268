// fuzz/fuzz_seg_nrrd.cpp: a 3D Slicer .seg.nrrd (header fields, raw and gzip data, segments).
#include <cstddef>
#include <cstdint>

#include "fuzz_support.hpp"
#include "medmask/seg_nrrd.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = medmask::fuzz::write_scratch(data, size, ".seg.nrrd");
  return medmask::fuzz::expect_typed_errors(
      [&] { (void)medmask::read_seg_nrrd(path, medmask::fuzz::fuzz_limits()); });
}
