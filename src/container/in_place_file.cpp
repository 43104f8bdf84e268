#include "container/in_place_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "detail/file_io.hpp"
#include "medmask/error.hpp"

namespace medmask::container {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw IoError(path + ": " + what + ": " + std::strerror(errno), path);
}

// True when fd is still the file the path names: a writer that held the lock may have renamed a
// rewrite over the path, and a lock on the replaced file protects nothing.
bool names_same_file(int fd, const std::string& path) {
  struct stat opened {};
  struct stat named {};
  return ::fstat(fd, &opened) == 0 && ::stat(path.c_str(), &named) == 0 &&
         opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

}  // namespace

InPlaceFile::InPlaceFile(std::string path) : path_(std::move(path)) {
  // A rename between open and lock is retried a few times; each retry means another writer
  // committed, which the caller's header check then reports.
  for (int attempt = 0;; ++attempt) {
    fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd_ < 0) fail(path_, "cannot open for appending");
    if (::flock(fd_, LOCK_EX) != 0) {
      const int saved = errno;
      ::close(fd_);
      errno = saved;
      fail(path_, "cannot lock for appending");
    }
    if (names_same_file(fd_, path_)) return;
    ::close(fd_);
    fd_ = -1;
    if (attempt == 8) {
      throw IoError(path_ + ": the file keeps being replaced by other writers; reopen it", path_);
    }
  }
}

InPlaceFile::~InPlaceFile() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

std::vector<std::uint8_t> InPlaceFile::read(std::uint64_t offset, std::size_t size) const {
  std::vector<std::uint8_t> bytes(size);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n =
        ::pread(fd_, bytes.data() + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, "cannot read");
    if (n == 0) throw IoError(path_ + ": file shrank while appending", path_);
    done += static_cast<std::size_t>(n);
  }
  return bytes;
}

void InPlaceFile::write_at(std::uint64_t offset, const void* data, std::size_t size) {
  detail::write_all_at(fd_, path_, data, size, offset);
}

void InPlaceFile::sync() {
  if (::fdatasync(fd_) != 0) fail(path_, "cannot flush to disk");
}

void InPlaceFile::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail(path_, "cannot truncate");
}

}  // namespace medmask::container
