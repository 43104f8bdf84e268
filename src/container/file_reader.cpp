#include "container/file_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "medmask/error.hpp"

namespace medmask::container {

FileReader::FileReader(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);  // a FIFO must not block
  if (fd_ < 0) throw IoError(path_ + ": cannot open: " + std::strerror(errno), path_);
  struct stat info {};
  if (::fstat(fd_, &info) != 0 || !S_ISREG(info.st_mode)) {
    const int error_number = errno;
    ::close(fd_);
    fd_ = -1;
    throw IoError(path_ + ": cannot open: " +
                      (S_ISDIR(info.st_mode) ? std::string("is a directory")
                       : error_number != 0   ? std::string(std::strerror(error_number))
                                             : std::string("not a regular file")),
                  path_);
  }
  size_ = static_cast<std::uint64_t>(info.st_size);
}

void FileReader::refresh_size() {
  struct stat info {};
  if (::fstat(fd_, &info) != 0) {
    throw IoError(path_ + ": cannot read its size: " + std::strerror(errno), path_);
  }
  size_ = static_cast<std::uint64_t>(info.st_size);
}

FileReader::~FileReader() {
  if (fd_ >= 0) ::close(fd_);
}

FileReader::FileReader(FileReader&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), size_(other.size_) {}

FileReader& FileReader::operator=(FileReader&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
  }
  return *this;
}

void FileReader::read_exact(std::uint64_t offset, void* out, std::size_t size) const {
  auto* bytes = static_cast<std::uint8_t*>(out);
  while (size > 0) {
    const ssize_t n = ::pread(fd_, bytes, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw IoError(
          path_ + ": cannot read at byte " + std::to_string(offset) + ": " + std::strerror(errno),
          path_, offset);
    }
    if (n == 0) {
      throw FormatError(path_ + ": data at byte " + std::to_string(offset) +
                            ": file truncated while open; expected " + std::to_string(size) +
                            " more bytes",
                        path_, offset);
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

std::vector<std::uint8_t> FileReader::read(std::uint64_t offset, std::size_t size) const {
  std::vector<std::uint8_t> bytes(size);
  read_exact(offset, bytes.data(), size);
  return bytes;
}

}  // namespace medmask::container
