// npy_format.hpp (internal): the .npy byte format (numpy/lib/format.py, versions 1.0 to 3.0).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "medmask/limits.hpp"
#include "medmask/volume.hpp"

namespace medmask::io {

struct NpyHeader {
  char kind = 0;  // numpy dtype kind: 'b' bool, 'u', 'i', 'f', 'U' unicode
  std::size_t item_size = 0;
  bool big_endian = false;
  bool fortran_order = false;
  std::vector<std::uint64_t> shape;
  std::size_t data_offset = 0;
};

// Parses magic, version and the header dict. Throws FormatError, UnsupportedError.
NpyHeader parse_npy_header(std::span<const std::uint8_t> bytes, const std::string& name);

// The 3-D label volume of an array whose header is parsed. Throws as parse_npy.
LabelVolume npy_to_volume(const NpyHeader& header, std::span<const std::uint8_t> bytes,
                          const std::string& name, const ReadLimits& limits);

// A unicode array's text (UTF-32 code points to UTF-8).
std::string npy_to_text(const NpyHeader& header, std::span<const std::uint8_t> bytes,
                        const std::string& name);

std::vector<std::uint8_t> volume_to_npy(const LabelVolume& volume);
std::vector<std::uint8_t> text_to_npy(const std::string& utf8);

}  // namespace medmask::io
