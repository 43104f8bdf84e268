// cli/file_kind.hpp: names the format of a file that is not a MedMask archive, and the command
// that takes it, for error messages ("medmask info liver.nii.gz").
#pragma once

#include <string>

namespace medmask::cli {

// "a NIfTI-1 image (gzip-compressed); pack it with `medmask pack`", or "" when the first bytes
// match no format the tool knows. Never throws.
std::string describe_foreign_file(const std::string& path) noexcept;

}  // namespace medmask::cli
