// container/read_limits.hpp: caps a reader checks before it allocates (docs/FORMAT.md 8).
// Every reader must accept files within the defaults; fuzzers set them lower.
#pragma once

#include <cstdint>

namespace medmask::detail {

struct ReadLimits {
  std::uint64_t max_voxels = std::uint64_t{1} << 34;        // per grid (x * y * z)
  std::uint64_t max_index_bytes = std::uint64_t{64} << 20;  // decompressed index JSON
  std::uint64_t max_entries = 65536;                        // entries in one archive
  std::uint64_t max_labels = 1000000;                       // labels over all entries
  std::uint32_t max_json_depth = 32;                        // nesting of the index JSON
};

}  // namespace medmask::detail
