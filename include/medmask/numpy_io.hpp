// medmask/numpy_io.hpp: NumPy .npy and .npz files holding label arrays.
//
// NumPy files carry no geometry: the caller supplies a Space (for example from a reference NIfTI).
// Arrays are read as numpy (z, y, x) label volumes: bool, unsigned and signed integers (values must
// be >= 0 and < 2^32) and floats holding whole numbers; Fortran-ordered arrays are reordered.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "medmask/limits.hpp"
#include "medmask/volume.hpp"

namespace medmask {

// Throws IoError, FormatError (bad magic or header, truncated data), UnsupportedError (object,
// complex, structured dtypes; not 3-D), ArgumentError (negative or non-integer values).
// LimitError: an array of more voxels than limits.max_voxels, refused before it is allocated.
LabelVolume read_npy(const std::string& path, const ReadLimits& limits = {});
LabelVolume parse_npy(std::span<const std::uint8_t> bytes, const std::string& name,
                      const ReadLimits& limits = {});

struct NpzContents {
  std::vector<std::pair<std::string, LabelVolume>> arrays;  // 3-D label arrays, in file order
  std::vector<std::pair<std::string, std::string>> texts;   // 0-d or 1-element unicode arrays
  std::vector<std::string> skipped;                         // members of other shapes or dtypes
};

// Reads every member of an .npz (stored or deflated ZIP). Throws IoError, FormatError.
NpzContents read_npz(const std::string& path, const ReadLimits& limits = {});

// Writes arrays as "<name>.npy" members and texts as 0-d unicode arrays, deflated like
// numpy.savez_compressed. Atomic. Throws ArgumentError (empty or duplicate names), IoError.
void write_npz(const std::string& path,
               const std::vector<std::pair<std::string, LabelVolume>>& arrays,
               const std::vector<std::pair<std::string, std::string>>& texts = {});

}  // namespace medmask
