// codec/range_coder.hpp: the binary adaptive range coder of the label codec.
//
// A carry-less binary arithmetic coder in the style of lpaq1 (two 32-bit bounds, bytes shifted out
// when their top bytes agree), with 16-bit probabilities and 64-bit products for precision. The
// exact arithmetic is specified in docs/FORMAT.md Appendix A; encoder and decoder must stay in
// step.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace medmask::codec {

// Probability that the next bit is 1, in 1/65536, kept inside [kProbMin, kProbMax].
inline constexpr std::uint32_t kProbMin = 32;
inline constexpr std::uint32_t kProbMax = 65536 - 32;

// An adaptive bit model: the probability moves towards each coded bit by 1/(n + 1.5), where n
// counts the updates so far and saturates at `limit`, so a fresh context learns in a few steps and
// an old one averages over about `limit` bits.
struct BitModel {
  std::uint16_t p = 32768;
  std::uint16_t n = 0;
};

// kRate[n] = floor(65536 / (n + 1.5)), the update step for a model that has seen n bits.
inline constexpr std::uint32_t kRateTableSize = 256;
struct RateTable {
  std::uint32_t rate[kRateTableSize];
  constexpr RateTable() : rate() {
    for (std::uint32_t n = 0; n < kRateTableSize; ++n) rate[n] = (2u * 65536u) / (2u * n + 3u);
  }
};
inline constexpr RateTable kRates{};

// The same arithmetic as FORMAT.md A.4 (a step truncated toward zero), done on the distance to the
// target in unsigned 32 bits: the product is below 2^32, and no signed division is needed.
[[gnu::always_inline]] inline void update_model(BitModel& m, int bit, std::uint32_t limit) {
  const std::uint32_t p = m.p;
  const std::uint32_t rate = kRates.rate[m.n];
  const std::uint32_t distance = bit != 0 ? 65536u - p : p;
  const std::uint32_t step = (distance * rate) >> 16;
  std::uint32_t next = bit != 0 ? p + step : p - step;
  next = next < kProbMin ? kProbMin : (next > kProbMax ? kProbMax : next);
  m.p = static_cast<std::uint16_t>(next);
  if (m.n < limit) ++m.n;
}

class RangeEncoder {
 public:
  explicit RangeEncoder(std::vector<std::uint8_t>& out) : out_(out) {}

  // Codes `bit` with probability p1 (of a 1, in 1/65536, within [kProbMin, kProbMax]).
  [[gnu::always_inline]] void encode(int bit, std::uint32_t p1) {
    const std::uint32_t mid =
        low_ + static_cast<std::uint32_t>((static_cast<std::uint64_t>(high_ - low_) * p1) >> 16);
    if (bit != 0) {
      high_ = mid;
    } else {
      low_ = mid + 1;
    }
    while (((low_ ^ high_) & 0xFF000000u) == 0) {
      out_.push_back(static_cast<std::uint8_t>(high_ >> 24));
      low_ <<= 8;
      high_ = (high_ << 8) | 0xFFu;
    }
  }

  // One byte ends the stream: the decoder reads bytes past the end as 0xFF, which keeps its value
  // inside [low, high].
  void finish() { out_.push_back(static_cast<std::uint8_t>(low_ >> 24)); }

 private:
  std::vector<std::uint8_t>& out_;
  std::uint32_t low_ = 0;
  std::uint32_t high_ = 0xFFFFFFFFu;
};

class RangeDecoder {
 public:
  RangeDecoder(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {
    for (int i = 0; i < 4; ++i) x_ = (x_ << 8) | next_byte();
  }

  [[gnu::always_inline]] int decode(std::uint32_t p1) {
    const std::uint32_t mid =
        low_ + static_cast<std::uint32_t>((static_cast<std::uint64_t>(high_ - low_) * p1) >> 16);
    int bit;
    if (x_ <= mid) {
      bit = 1;
      high_ = mid;
    } else {
      bit = 0;
      low_ = mid + 1;
    }
    while (((low_ ^ high_) & 0xFF000000u) == 0) {
      low_ <<= 8;
      high_ = (high_ << 8) | 0xFFu;
      x_ = (x_ << 8) | next_byte();
    }
    return bit;
  }

  // A whole stream is read exactly 3 bytes past its end (4 bytes primed, one flush byte).
  bool overran() const { return pos_ > size_ + 3; }
  bool ended_exactly() const { return pos_ == size_ + 3; }

 private:
  std::uint32_t next_byte() {
    const std::uint32_t b = pos_ < size_ ? data_[pos_] : 0xFFu;
    ++pos_;
    return b;
  }

  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
  std::uint32_t low_ = 0;
  std::uint32_t high_ = 0xFFFFFFFFu;
  std::uint32_t x_ = 0;
};

}  // namespace medmask::codec
