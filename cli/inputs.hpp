// cli/inputs.hpp: NIfTI inputs of `pack` and `verify --against`: finding them and reading them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "medmask/nifti.hpp"

namespace medmask::cli {

struct InputFile {
  std::filesystem::path path;
  std::string name;  // structure name: the file name without .nii.gz / .nii
  std::uint64_t bytes = 0;
};

// Expands each argument: a folder gives its .nii/.nii.gz files sorted by name (not recursive), a
// file is taken as is. Throws IoError for a missing path, ArgumentError for a folder without
// NIfTI files, no inputs at all, or two files giving the same structure name.
std::vector<InputFile> find_inputs(const std::vector<std::string>& arguments);

// Throws IoError naming output when the folder it is to be written in does not exist (before any
// work, and rather than naming a temporary file).
void require_output_folder(const std::string& output);

// The file name without a .nii.gz or .nii ending (case-insensitive).
std::string structure_name(const std::filesystem::path& path);

struct ReadTiming {
  double read_seconds = 0.0;     // wall time until the last file was read
  double consume_seconds = 0.0;  // time spent in consume (on the calling thread)
};

// Reads every file with read_nifti on `threads` worker threads (a few files ahead at most, to
// bound memory) and calls consume(index, image) on the calling thread in input order. A read
// error is rethrown, in input order, with the file named in its message.
ReadTiming read_inputs_in_order(const std::vector<InputFile>& files, unsigned threads,
                                const std::function<void(std::size_t, NiftiImage&)>& consume,
                                const NiftiReadOptions& options = {});

// Grids closer than this are the same grid: nothing is reported.
inline constexpr double kDefaultToleranceMm = 1e-4;

// The default --tolerance: a tenth of the smallest voxel spacing. Masks written by one tool for
// one scan differ only by float32 rounding of their affines (0.057 mm at the far corner of the
// sample case, 4 % of a voxel); a shift under a tenth of a voxel moves no voxel centre across a
// voxel boundary, while a real misregistration is far larger.
inline constexpr double kDefaultToleranceVoxels = 0.1;
double default_tolerance_mm(const Space& space);

// The smallest voxel spacing of space (mm).
double smallest_spacing_mm(const Space& space);

// The largest tolerance an error message suggests: a quarter of the smallest voxel spacing.
// Beyond it a difference is a misregistration, not rounding, and storing such a mask on another
// grid moves its voxels; the user may still ask for it, but is never told to.
inline constexpr double kMaxSuggestedToleranceVoxels = 0.25;
double max_suggested_tolerance_mm(const Space& space);

// A distance for messages: 4 significant digits ("0.05716", "3").
std::string format_mm(double mm);

// Why two spaces are not close: the shapes (x, y, z) when they differ, else how far apart the two
// put the same corner voxel, e.g. "corner voxels up to 0.5 mm apart (tolerance 0.0001 mm)".
std::string space_difference(const Space& a, const Space& b,
                             double tolerance_mm = kDefaultToleranceMm);

// Worker threads to use: hardware_concurrency, at least 1, at most the number of files.
unsigned reader_threads(std::size_t file_count);

}  // namespace medmask::cli
