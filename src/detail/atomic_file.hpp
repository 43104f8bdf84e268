// detail/atomic_file.hpp: the one way the library replaces a file. Bytes go to a temporary file
// next to the target; commit() flushes them to disk, renames the temporary over the target and
// flushes the directory, so readers see the old file or the complete new one, never a mix, and a
// crash cannot leave the target pointing at a file with holes.
//
// Every writer of a whole file uses it (the archive, NIfTI, .seg.nrrd and its sidecars, .npz,
// DICOM SEG): one temporary name, one set of permissions, one cleanup, one error text.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

namespace medmask::detail {

class AtomicFileWriter {
 public:
  // Creates the temporary file "<target>.tmp.<pid>.<n>" (exclusive, so no two writers share one)
  // with the permissions of a new file: 0666 less the umask. Throws IoError naming the target.
  explicit AtomicFileWriter(std::string target_path);
  ~AtomicFileWriter();  // removes the temporary file unless a commit succeeded
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  // Appends size bytes. Throws IoError.
  void append(const void* data, std::size_t size);
  // Overwrites bytes already written (the header, once the rest is known). Throws IoError.
  void write_at(std::uint64_t offset, const void* data, std::size_t size);
  std::uint64_t size() const noexcept { return size_; }

  // For a library that writes a file only by name (libzip, DCMTK): it may truncate the
  // temporary file or put another one in its place; commit() flushes whichever file then has
  // this name and gives it the permissions of a new file.
  const std::string& temporary_path() const noexcept { return temp_path_; }

  // fsync, close, rename over the target, fsync the directory. Throws IoError.
  void commit();
  // As commit(), but fails (IoError, the temporary removed) when the target exists: two writers
  // that both create a missing file cannot both succeed (link(2) is atomic and exclusive).
  void commit_new();

 private:
  std::string target_path_;
  std::string temp_path_;
  int fd_ = -1;
  mode_t mode_ = 0;  // what the temporary file got at creation: 0666 & ~umask
  std::uint64_t size_ = 0;
  bool committed_ = false;

  void flush_and_close();
};

// Writes parts, in order, through an AtomicFileWriter. On failure the old file is untouched and
// no temporary file is left. Throws IoError naming path and the system's reason.
void write_file_atomic(const std::string& path,
                       std::span<const std::span<const std::uint8_t>> parts);
void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes);

// As write_file_atomic, for a library that writes by name: write(temporary) fills the temporary
// file (and may throw: the temporary is then removed and the exception passes on).
void write_file_atomic_by_name(const std::string& path,
                               const std::function<void(const std::string& temporary)>& write);

}  // namespace medmask::detail
