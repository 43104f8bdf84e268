// detail/volume_memory.hpp: voxel buffers, allocated for how they will be written.
#pragma once

#include <cstddef>
#include <memory>

namespace medmask::detail {

// A zero-filled block of `bytes` (at least 1), freed when the last owner goes. Large blocks are
// mapped straight from the kernel, without huge pages: zero pages are only paged in when written,
// so a mask that sets a few voxels of a large grid costs what it writes. (calloc gives no such
// promise: once glibc has raised its mmap threshold, a large calloc clears every byte.)
std::shared_ptr<void> allocate_zeroed(std::size_t bytes);

}  // namespace medmask::detail
