// container/file_reader.hpp: a read-only file with positioned reads (pread), so that many
// threads can read one open file at once without sharing a file position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace medmask::container {

class FileReader {
 public:
  FileReader() = default;
  // Throws IoError (missing file, permission, a directory).
  explicit FileReader(std::string path);
  ~FileReader();
  FileReader(FileReader&& other) noexcept;
  FileReader& operator=(FileReader&& other) noexcept;
  FileReader(const FileReader&) = delete;
  FileReader& operator=(const FileReader&) = delete;

  const std::string& path() const noexcept { return path_; }
  std::uint64_t size() const noexcept { return size_; }  // at open, or at the last refresh

  // Takes the size again: a writer appending in place (FORMAT.md 10.1) grows the file before it
  // writes the header that points into the new bytes, so a reader takes the size after reading the
  // header. Throws IoError.
  void refresh_size();

  // Reads exactly size bytes at offset. Requires offset + size <= size(); throws IoError, or
  // FormatError when the file has shrunk since it was opened.
  void read_exact(std::uint64_t offset, void* out, std::size_t size) const;
  std::vector<std::uint8_t> read(std::uint64_t offset, std::size_t size) const;

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace medmask::container
