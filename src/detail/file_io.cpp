#include "detail/file_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <new>

#include "medmask/error.hpp"

namespace medmask::detail {

// Opens path for reading, refusing what is not a regular file: a FIFO would block forever (the
// open is non-blocking for that reason) and a directory has no bytes. Throws IoError.
int open_regular_file(const std::string& path, std::uint64_t& size) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw IoError(path + ": cannot open for reading: " + std::strerror(errno), path);
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw IoError(path + ": cannot open for reading: not a regular file", path);
  }
  size = static_cast<std::uint64_t>(info.st_size);
  return fd;
}

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::uint64_t size = 0;
  const int fd = open_regular_file(path, size);
  std::vector<std::uint8_t> bytes;
  try {
    bytes.resize(static_cast<std::size_t>(size));
  } catch (const std::bad_alloc&) {
    ::close(fd);
    throw LimitError(path + ": " + std::to_string(size) + " bytes do not fit in memory", path);
  }
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string reason = n < 0 ? std::strerror(errno) : "the file shrank";
      ::close(fd);
      throw IoError(path + ": read failed: " + reason, path);
    }
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return bytes;
}

IoError cannot_create_error(const std::string& path, const std::string& reason) {
  const auto slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0) {
    const std::string folder = path.substr(0, slash);
    struct stat info {};
    if (::stat(folder.c_str(), &info) != 0 && errno == ENOENT) {
      return IoError(path + ": cannot write it: folder " + folder + " does not exist", path);
    }
  }
  return IoError(path + ": cannot write it: " + reason, path);
}

IoError cannot_create_error(const std::string& path, int error_number) {
  return cannot_create_error(path, std::string(std::strerror(error_number)));
}

void write_all_at(int fd, const std::string& path, const void* data, std::size_t size,
                  std::uint64_t offset) {
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  while (size > 0) {
    const ssize_t n = ::pwrite(fd, bytes, size, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw IoError(path + ": cannot write: " + std::strerror(errno), path);
    bytes += n;
    size -= static_cast<std::size_t>(n);
    offset += static_cast<std::uint64_t>(n);
  }
}

}  // namespace medmask::detail
