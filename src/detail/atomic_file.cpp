#include "detail/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "detail/file_io.hpp"
#include "medmask/error.hpp"

namespace medmask::detail {

namespace {

[[noreturn]] void throw_io(const std::string& path, const std::string& action, int error_number) {
  throw IoError(path + ": cannot " + action + ": " + std::strerror(error_number), path);
}

std::string parent_directory(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Persists the rename itself. A failure is not reported: the new file is already visible under
// the target's name and the old one gone, so the caller has nothing left to undo or retry.
void sync_directory(const std::string& target_path) {
  const int dir_fd =
      ::open(parent_directory(target_path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

// The temporary file lies next to the target (rename(2) does not cross file systems). Its name
// holds the process id and a per-process count, and it is created exclusively: another writer
// of the same target, in this process or another, never shares it, and a leftover of a crashed
// process with the same id is stepped over, not reused.
int create_temporary(const std::string& target, std::string& temp_path) {
  static std::atomic<std::uint64_t> next{0};
  const std::string prefix = target + ".tmp." + std::to_string(::getpid()) + ".";
  for (int attempt = 0;; ++attempt) {
    temp_path = prefix + std::to_string(next.fetch_add(1));
    // 0666: the kernel applies the umask, as for any new file the user creates.
    const int fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt == 100) throw cannot_create_error(target, errno);
  }
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(std::string target_path) : target_path_(std::move(target_path)) {
  fd_ = create_temporary(target_path_, temp_path_);
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    const int error_number = errno;
    ::close(fd_);
    ::unlink(temp_path_.c_str());
    throw_io(target_path_, "write it", error_number);
  }
  mode_ = info.st_mode & 07777;
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_path_.c_str());
}

void AtomicFileWriter::append(const void* data, std::size_t size) {
  write_all_at(fd_, target_path_, data, size, size_);
  size_ += size;
}

void AtomicFileWriter::write_at(std::uint64_t offset, const void* data, std::size_t size) {
  write_all_at(fd_, target_path_, data, size, offset);
}

void AtomicFileWriter::flush_and_close() {
  // The data must be on disk before the rename makes it visible.
  if (::fsync(fd_) != 0) throw_io(target_path_, "flush it to disk", errno);
  struct stat opened {};
  if (::fstat(fd_, &opened) != 0) throw_io(target_path_, "write it", errno);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw_io(target_path_, "write it", errno);
  struct stat named {};
  if (::stat(temp_path_.c_str(), &named) != 0) throw_io(target_path_, "write it", errno);
  if (named.st_dev == opened.st_dev && named.st_ino == opened.st_ino) return;
  // A library that writes by name put its own file in place of ours (libzip does): flush that
  // one, and give it the permissions ours had (libzip's starts as 0600).
  const int other = ::open(temp_path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (other < 0) throw_io(target_path_, "write it", errno);
  const bool ok = ::fchmod(other, mode_) == 0 && ::fsync(other) == 0;
  const int error_number = errno;
  ::close(other);
  if (!ok) throw_io(target_path_, "flush it to disk", error_number);
}

void AtomicFileWriter::commit() {
  flush_and_close();
  if (::rename(temp_path_.c_str(), target_path_.c_str()) != 0) {
    throw_io(target_path_, "replace the file", errno);
  }
  committed_ = true;
  sync_directory(target_path_);
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
  sync_directory(target_path_);
}

void write_file_atomic(const std::string& path,
                       std::span<const std::span<const std::uint8_t>> parts) {
  AtomicFileWriter writer(path);
  for (const auto part : parts) writer.append(part.data(), part.size());
  writer.commit();
}

void write_file_atomic(const std::string& path, std::span<const std::uint8_t> bytes) {
  write_file_atomic(path, std::span<const std::span<const std::uint8_t>>(&bytes, 1));
}

void write_file_atomic_by_name(const std::string& path,
                               const std::function<void(const std::string& temporary)>& write) {
  AtomicFileWriter writer(path);
  write(writer.temporary_path());
  writer.commit();
}

}  // namespace medmask::detail
