#include "detail/volume_memory.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define MEDMASK_HAVE_MMAP 1
#endif

namespace medmask::detail {

namespace {

// Below this size a mapping's system calls cost more than clearing the bytes.
constexpr std::size_t kMapAtLeast = std::size_t{1} << 20;

std::shared_ptr<void> heap_block(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

std::shared_ptr<void> allocate_zeroed(std::size_t bytes) {
  bytes = std::max<std::size_t>(bytes, 1);
#ifdef MEDMASK_HAVE_MMAP
  if (bytes >= kMapAtLeast) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
#ifdef MADV_NOHUGEPAGE
    // A huge page would clear 2 MiB where a sparse mask writes a few rows.
    madvise(p, bytes, MADV_NOHUGEPAGE);
#endif
    return std::shared_ptr<void>(p, [bytes](void* q) { munmap(q, bytes); });
  }
#endif
  return heap_block(std::calloc(bytes, 1));
}

std::shared_ptr<void> allocate_for_overwrite(std::size_t bytes) {
  return heap_block(std::malloc(std::max<std::size_t>(bytes, 1)));
}

}  // namespace medmask::detail
