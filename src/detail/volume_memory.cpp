#include "detail/volume_memory.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <string>

#include "medmask/error.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define MEDMASK_HAVE_MMAP 1
#endif

namespace medmask::detail {

namespace {

// Below this size a mapping's system calls cost more than clearing the bytes.
constexpr std::size_t kMapAtLeast = std::size_t{1} << 20;

// A volume the grid declares but the process cannot hold is a LimitError naming the size, not a
// bare std::bad_alloc (a 2^34-voxel grid is within the format's limits, not within every
// machine's).
[[noreturn]] void fail_allocation(std::size_t bytes) {
  throw LimitError("cannot allocate " + std::to_string(bytes) +
                   " bytes for a volume: not enough memory or address space (lower the grid or "
                   "raise the process's memory limit)");
}

std::shared_ptr<void> heap_block(void* p, std::size_t bytes) {
  if (p == nullptr) fail_allocation(bytes);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

}  // namespace

std::shared_ptr<void> allocate_zeroed(std::size_t bytes) {
  bytes = std::max<std::size_t>(bytes, 1);
#ifdef MEDMASK_HAVE_MMAP
  if (bytes >= kMapAtLeast) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) fail_allocation(bytes);
#ifdef MADV_NOHUGEPAGE
    // A huge page would clear 2 MiB where a sparse mask writes a few rows. Asking for huge pages
    // (MADV_HUGEPAGE) did cut the page faults of dense masks, but the kernel's compaction on
    // fault stalled some reads of the seed notebook from 20 to 60-180 ms (2026-12-03).
    madvise(p, bytes, MADV_NOHUGEPAGE);
#endif
    return std::shared_ptr<void>(p, [bytes](void* q) { munmap(q, bytes); });
  }
#endif
  return heap_block(std::calloc(bytes, 1), bytes);
}

}  // namespace medmask::detail
