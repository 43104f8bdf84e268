#include "container/chunk_cache.hpp"

namespace medmask::container {

std::shared_ptr<const Slab> ChunkCache::find(const ChunkKey& key) {
  const std::lock_guard lock(mutex_);
  const auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.position);
  return it->second.chunk;
}

void ChunkCache::insert(const ChunkKey& key, std::shared_ptr<const Slab> chunk) {
  const std::size_t size = chunk->volume.byte_size();
  if (size > max_bytes_) return;
  const std::lock_guard lock(mutex_);
  if (items_.count(key) != 0) return;  // another thread decoded it first
  while (bytes_ + size > max_bytes_ && !order_.empty()) {
    const auto oldest = items_.find(order_.back());
    bytes_ -= oldest->second.chunk->volume.byte_size();
    items_.erase(oldest);
    order_.pop_back();
  }
  order_.push_front(key);
  items_.emplace(key, Item{std::move(chunk), order_.begin()});
  bytes_ += size;
}

void ChunkCache::clear() {
  const std::lock_guard lock(mutex_);
  items_.clear();
  order_.clear();
  bytes_ = 0;
}

}  // namespace medmask::container
