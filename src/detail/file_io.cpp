#include "detail/file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "medmask/error.hpp"

namespace medmask::detail {

std::vector<std::uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw IoError(path + ": cannot open for reading: " + std::strerror(errno), path);
  const std::streamoff size = in.tellg();
  if (size < 0) throw IoError(path + ": cannot determine the file size", path);
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size)) {
    throw IoError(path + ": read failed", path);
  }
  return bytes;
}

void write_file_atomic(const std::string& path,
                       std::span<const std::span<const std::uint8_t>> parts) {
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw IoError(path + ": cannot create " + temporary + ": " + std::strerror(errno), path);
  }
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    ::close(fd);
    ::unlink(temporary.c_str());
    throw IoError(path + ": " + what + " failed: " + reason, path);
  };
  for (const auto part : parts) {
    std::size_t written = 0;
    while (written < part.size()) {
      const ssize_t n = ::write(fd, part.data() + written, part.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) fail("write");
      written += static_cast<std::size_t>(n);
    }
  }
  if (::fsync(fd) != 0) fail("fsync");
  if (::close(fd) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temporary.c_str());
    throw IoError(path + ": close failed: " + reason, path);
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temporary.c_str());
    throw IoError(path + ": rename from " + temporary + " failed: " + reason, path);
  }
}

}  // namespace medmask::detail
