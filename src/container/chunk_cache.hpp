// container/chunk_cache.hpp: decoded z-chunks of an archive's entries, kept for reuse so that
// reading every structure of a case decodes each chunk once, and reading one structure decodes
// only the chunks that hold it. Bounded in bytes, least recently used out first. Thread-safe.
#pragma once

#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <utility>

#include "container/slab.hpp"

namespace medmask::container {

// (entry id, unit): unit `unit` (z-chunk or tile) of the entry of that id (container/entry_table;
// ids are never reused, so a key cannot come to name another entry); a "zstd" entry is one unit.
using ChunkKey = std::pair<std::size_t, std::size_t>;

class ChunkCache {
 public:
  explicit ChunkCache(std::size_t max_bytes = std::size_t{512} << 20) : max_bytes_(max_bytes) {}

  std::shared_ptr<const Slab> find(const ChunkKey& key);
  // Keeps chunk unless it alone exceeds the budget; evicts the least recently used ones.
  void insert(const ChunkKey& key, std::shared_ptr<const Slab> chunk);
  void clear();

 private:
  using Order = std::list<ChunkKey>;
  struct Item {
    std::shared_ptr<const Slab> chunk;
    Order::iterator position;
  };
  std::mutex mutex_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  Order order_;  // most recently used first
  std::map<ChunkKey, Item> items_;
};

}  // namespace medmask::container
