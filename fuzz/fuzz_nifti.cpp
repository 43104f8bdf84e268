// fuzz/fuzz_nifti.cpp: NIfTI-1/2 headers, data and extensions, plain or gzipped (the reader
// recognises gzip by its magic), and the label tables held in extensions.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_support.hpp"
#include "medmask/nifti.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return medmask::fuzz::expect_typed_errors([&] {
    const medmask::NiftiImage image = medmask::read_nifti_bytes(
        std::span<const std::uint8_t>(data, size), "fuzz.nii.gz", {}, medmask::fuzz::fuzz_limits());
    (void)medmask::label_table_from_extensions(image.extensions, "fuzz.nii.gz");
  });
}
