// file_io.hpp (internal): whole-file reads and atomic whole-file writes.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "medmask/error.hpp"

namespace medmask::detail {

// Opens a regular file for reading (never blocks on a FIFO) and gives its size. Throws IoError
// naming the path when it cannot be opened or is not a regular file.
int open_regular_file(const std::string& path, std::uint64_t& size);

// Reads a whole regular file. Throws IoError naming the path.
std::vector<std::uint8_t> read_file(const std::string& path);

// "<path>.tmp.<pid>.<tid>": the temporary file a writer in this thread uses before renaming it
// over path. Unique among concurrent writers (one at a time per thread), so two threads writing
// the same target never share a temporary file.
std::string temporary_path(const std::string& path);

// The IoError of a writer that could not create the temporary file of path (errno error_number,
// or the writing library's reason): it names path, the file the caller asked for, never the
// temporary file, and says so when path's folder does not exist.
[[nodiscard]] IoError cannot_create_error(const std::string& path, int error_number);
[[nodiscard]] IoError cannot_create_error(const std::string& path, const std::string& reason);

// Writes parts, in order, to temporary_path(path), flushes it to disk and renames it over path, so
// readers see the old file or the new one, never a mix. On failure the temporary file is removed
// and the old file is untouched. Throws IoError naming the path and the system's reason.
void write_file_atomic(const std::string& path,
                       std::span<const std::span<const std::uint8_t>> parts);

}  // namespace medmask::detail
