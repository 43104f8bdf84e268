// container/atomic_file.hpp: crash-safe replacement of a file. Bytes go to
// "<target>.tmp.<pid>.<tid>" next to the target; commit() flushes them to disk and renames the
// temporary over the target, so readers see either the old file or the complete new one, never a
// mix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace medmask::detail {

class AtomicFileWriter {
 public:
  // Creates (truncates) the temporary file. Throws IoError.
  explicit AtomicFileWriter(std::string target_path);
  ~AtomicFileWriter();  // removes the temporary file unless commit() succeeded
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Appends size bytes. Throws IoError.
  void append(const void* data, std::size_t size);
  // Overwrites bytes already written (the header, once the rest is known). Throws IoError.
  void write_at(std::uint64_t offset, const void* data, std::size_t size);
  std::uint64_t size() const noexcept { return size_; }

  // fsync, close, rename over the target, fsync the directory. Throws IoError.
  void commit();
  // As commit(), but fails (IoError, the temporary removed) when the target exists: two writers
  // that both create a missing file cannot both succeed (link(2) is atomic and exclusive).
  void commit_new();

 private:
  std::string target_path_;
  std::string temp_path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  bool committed_ = false;

  void flush_and_close();
  void sync_directory() const;
};

}  // namespace medmask::detail
