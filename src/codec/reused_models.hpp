// codec/reused_models.hpp: a table of bit models that starts every chunk in its default state but
// is kept from one chunk to the next on the same thread. The default level's candidate table
// holds 2^18 models (1 MiB): clearing it took 50 us per chunk, more than coding a small tile
// does; the max level's seven tables (26 MiB) took 5-8 ms to allocate and clear, more than
// decoding most tiles. Instead the coder lists each model when it first uses it in a chunk (its
// count is 0 then), and only the listed ones are reset when the chunk is done. Each table of a
// coder has its own slot, so that the tables of one coder do not take each other's spare.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "codec/range_coder.hpp"

namespace medmask::codec {

class ReusedModels {
 public:
  // Takes this thread's table when it is free (a second coder alive on the thread gets its own).
  static constexpr std::size_t kSlots = 8;
  explicit ReusedModels(std::size_t size, std::size_t slot = 0) {
    Spare& spare = thread_spare(slot);
    if (!spare.leased) {
      spare.leased = true;
      spare_ = &spare;
      // A larger table serves a smaller one (its models past `size` stay unused).
      if (spare.models.size() < size) spare.models.assign(size, BitModel{});
      models_ = spare.models.data();
    } else {
      own_.assign(size, BitModel{});
      models_ = own_.data();
    }
  }
  ~ReusedModels() {
    if (spare_ == nullptr) return;
    for (const std::uint32_t i : spare_->used) models_[i] = BitModel{};
    spare_->used.clear();
    spare_->leased = false;
  }
  ReusedModels(const ReusedModels&) = delete;
  ReusedModels& operator=(const ReusedModels&) = delete;

  BitModel& operator[](std::size_t i) { return models_[i]; }
  // Model i is about to leave its default state for the first time in this chunk.
  void first_use(std::size_t i) {
    if (spare_ != nullptr) spare_->used.push_back(static_cast<std::uint32_t>(i));
  }

 private:
  struct Spare {
    std::vector<BitModel> models;
    std::vector<std::uint32_t> used;
    bool leased = false;
  };
  static Spare& thread_spare(std::size_t slot) {
    thread_local Spare spares[kSlots];
    return spares[slot];
  }

  Spare* spare_ = nullptr;
  std::vector<BitModel> own_;
  BitModel* models_ = nullptr;
};

}  // namespace medmask::codec
