// detail/file_io.hpp: the one whole-file reader and the one positional-write loop; errors that
// name the file the caller asked for. Whole files are written by detail/atomic_file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "medmask/error.hpp"

namespace medmask::detail {

// Opens a regular file for reading (never blocks on a FIFO) and gives its size. Throws IoError
// naming the path when it cannot be opened or is not a regular file.
int open_regular_file(const std::string& path, std::uint64_t& size);

// Reads a whole regular file. Throws IoError naming the path.
std::vector<std::uint8_t> read_file(const std::string& path);

// The IoError of a writer that could not create the temporary file of path (errno error_number,
// or the writing library's reason): it names path, the file the caller asked for, never the
// temporary file, and says so when path's folder does not exist.
[[nodiscard]] IoError cannot_create_error(const std::string& path, int error_number);
[[nodiscard]] IoError cannot_create_error(const std::string& path, const std::string& reason);

// Writes size bytes at offset, however many pwrite(2) calls that takes. Throws IoError naming
// path (the file the caller asked for) and the system's reason.
void write_all_at(int fd, const std::string& path, const void* data, std::size_t size,
                  std::uint64_t offset);

}  // namespace medmask::detail
