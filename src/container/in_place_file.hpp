// container/in_place_file.hpp: an existing archive opened for appending in place (FORMAT.md 10.1).
// Holds an exclusive advisory lock (flock) so two writers never interleave, and exposes the few
// operations the crash-safe append needs: positioned writes, a durable flush, truncation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace medmask::container {

class InPlaceFile {
 public:
  // Opens path for reading and writing and locks it. Throws IoError.
  explicit InPlaceFile(std::string path);
  ~InPlaceFile();
  InPlaceFile(const InPlaceFile&) = delete;
  InPlaceFile& operator=(const InPlaceFile&) = delete;

  std::vector<std::uint8_t> read(std::uint64_t offset, std::size_t size) const;  // Throws IoError
  void write_at(std::uint64_t offset, const void* data, std::size_t size);       // Throws IoError
  void sync();                                                                   // fdatasync
  void truncate(std::uint64_t size);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace medmask::container
