#include "medmask/threads.hpp"

#include <sched.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace medmask {

namespace {

unsigned env_threads() noexcept {
  const char* text = std::getenv("MEDMASK_THREADS");
  if (text == nullptr) return 0;
  unsigned value = 0;
  const char* end = text + std::strlen(text);
  const auto [ptr, ec] = std::from_chars(text, end, value);
  return ec == std::errc() && ptr == end ? value : 0;  // a malformed value is ignored
}

}  // namespace

unsigned default_threads() noexcept {
  if (const unsigned n = env_threads(); n != 0) return n;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    const int count = CPU_COUNT(&set);
    if (count > 0) return static_cast<unsigned>(count);
  }
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware != 0 ? hardware : 1;
}

}  // namespace medmask
