#include "container/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "detail/file_io.hpp"
#include "medmask/error.hpp"

namespace medmask::detail {

namespace {

[[noreturn]] void throw_io(const std::string& path, const std::string& action, int error_number) {
  throw IoError(path + ": cannot " + action + ": " + std::strerror(error_number), path);
}

void write_all(int fd, const std::string& path, const void* data, std::size_t size,
               std::uint64_t offset) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_io(path, "write", errno);
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

std::string parent_directory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string target_path)
    : target_path_(std::move(target_path)), temp_path_(temporary_path(target_path_)) {
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) throw cannot_create_error(target_path_, errno);
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::append(const void* data, std::size_t size) {
  write_all(fd_, target_path_, data, size, size_);
  size_ += size;
}

void AtomicFileWriter::write_at(std::uint64_t offset, const void* data, std::size_t size) {
  write_all(fd_, target_path_, data, size, offset);
}

void AtomicFileWriter::flush_and_close() {
  // The data must be on disk before the rename makes it visible, or a crash could leave the
  // target name pointing at a file with holes.
  if (::fsync(fd_) != 0) throw_io(target_path_, "flush", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_io(target_path_, "close", errno);
}

// Persist the rename itself; a failure here does not undo the (already visible) commit.
void AtomicFileWriter::sync_directory() const {
  const std::string directory = parent_directory(target_path_);
  const int dir_fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

void AtomicFileWriter::commit() {
  flush_and_close();
  if (::rename(temp_path_.c_str(), target_path_.c_str()) != 0) {
    throw_io(target_path_, "replace the file", errno);
  }
  committed_ = true;
  sync_directory();
}

void AtomicFileWriter::commit_new() {
  flush_and_close();
  if (::link(temp_path_.c_str(), target_path_.c_str()) != 0) {
    if (errno == EEXIST) {
      throw IoError(target_path_ +
                        ": the file was created by another writer since this one opened it; "
                        "reopen it",
                    target_path_);
    }
    throw_io(target_path_, "create the file", errno);
  }
  ::unlink(temp_path_.c_str());
  committed_ = true;
  sync_directory();
}

}  // namespace medmask::detail
