#include "container/in_place_file.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "medmask/error.hpp"

namespace medmask::detail {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw IoError(path + ": " + what + ": " + std::strerror(errno), path);
}

}  // namespace

InPlaceFile::InPlaceFile(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) fail(path_, "cannot open for appending");
  if (::flock(fd_, LOCK_EX) != 0) {
    const int saved = errno;
    ::close(fd_);
    errno = saved;
    fail(path_, "cannot lock for appending");
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
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::pwrite(fd_, bytes + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(path_, "cannot write");
    done += static_cast<std::size_t>(n);
  }
}

void InPlaceFile::sync() {
  if (::fdatasync(fd_) != 0) fail(path_, "cannot flush to disk");
}

void InPlaceFile::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) fail(path_, "cannot truncate");
}

}  // namespace medmask::detail
