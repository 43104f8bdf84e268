// file_io.hpp (internal): whole-file reads and atomic whole-file writes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace medmask::detail {

// Reads a whole file. Throws IoError naming the path.
std::vector<std::uint8_t> read_file(const std::string& path);

// Writes parts, in order, to "<path>.tmp.<pid>", flushes it to disk and renames it over path, so
// readers see the old file or the new one, never a mix. On failure the temporary file is removed
// and the old file is untouched. Throws IoError naming the path and the system's reason.
void write_file_atomic(const std::string& path,
                       std::span<const std::span<const std::uint8_t>> parts);

}  // namespace medmask::detail
