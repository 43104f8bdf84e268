// codec/voxel_coder.hpp: the voxel scan of one chunk's crop box, shared by encoder and decoder.
//
// One templated scan drives both directions through an `Io` that either encodes a known bit or
// decodes one, so the two can never disagree about contexts. The scan keeps three zero-padded
// slices (current, previous, the one before) so that every neighbour read is in bounds and
// voxels outside the crop box read as 0, which is what they hold.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <type_traits>
#include <unordered_map>
#include <vector>

#if defined(__SSE2__) && defined(__x86_64__)
#include <emmintrin.h>
#endif

#include "codec/context_model.hpp"
#include "codec/range_coder.hpp"
#include "codec/reused_models.hpp"

namespace medmask::codec {

struct Box {
  std::size_t x0, y0, z0, wx, wy, wz;  // crop box inside the chunk, widths >= 1
};

// Update limits of the adaptive models (how many past bits they average over at most).
inline constexpr std::uint32_t kCandLimit = 60;
inline constexpr std::uint32_t kMixLimit = 24;  // the mixed models of the max level
inline constexpr std::uint32_t kRunLimit = 255;
inline constexpr std::uint32_t kEscLimit = 30;
inline constexpr std::uint32_t kNearLimit = 30;
// Mode 4's two-label models adapt faster: a structure's surface statistics drift along z, and
// the single decision carries no ranking to absorb the drift (limit 12 was best of 8-60 on the
// sample case's 21 structures, 3.7 % smaller than 60).
inline constexpr std::uint32_t kTwoLimit = 12;

// The nearest neighbours (0-8: the 3x3 cross of the previous slice and the causal half of the
// current one) form the fallback context of the larger templates.
inline constexpr int kNear = 9;
inline constexpr std::uint32_t kNearMask = (1u << kNear) - 1;

// Stream mode 6 (FORMAT.md A.5.8): the two-label models start from what a structure's surface
// usually looks like instead of from p = 1/2, which saves each stream the cost of learning it.
// A pattern model's P(foreground) is a logistic function of which of the nine nearest neighbours
// hold the foreground (weights in 1/256 of a logit unit, fitted to the sample case's 21
// structures); every run flag starts at P(the stretch holds) = 0.99. Both start as if seen
// kPrimedCount times, so that they still adapt quickly, and the run flags average over at most
// kPrimedRunLimit bits (a run flag that starts near its value gains from following the surface's
// drift, as the two-label models do).
inline constexpr int kPrimedBias = -1593;
inline constexpr int kPrimedWeight[kNear] = {910, 702, 432, 204, 492, -175, 488, -420, 679};
inline constexpr std::uint16_t kPrimedCount = 6;
inline constexpr std::uint16_t kPrimedRun = 64880;  // 0.99 in 1/65536
inline constexpr std::uint32_t kPrimedRunLimit = 60;

struct PrimedTwoLabels {
  BitModel pattern[1u << kNear];
  constexpr PrimedTwoLabels() : pattern() {
    for (std::uint32_t p = 0; p < (1u << kNear); ++p) {
      int logit = kPrimedBias;
      for (int j = 0; j < kNear; ++j) logit += (p >> j & 1u) != 0 ? kPrimedWeight[j] : 0;
      const std::uint32_t p16 = static_cast<std::uint32_t>(squash(logit)) * 16u;
      pattern[p].p = static_cast<std::uint16_t>(std::clamp(p16, kProbMin, kProbMax));
      pattern[p].n = kPrimedCount;
    }
  }
};
inline constexpr PrimedTwoLabels kPrimedTwoLabels{};

// Candidates are ranked by the summed weights of the neighbours holding them: 4 for neighbours 0-2,
// 2 for 3-8 (kNear), 1 for the others; looked up by pattern in two tables.
struct ScoreTables {
  std::uint8_t near[1u << kNear];
  std::uint8_t far[1u << 7];
  constexpr ScoreTables() : near(), far() {
    for (std::uint32_t p = 0; p < (1u << kNear); ++p) {
      int sc = 0;
      for (int j = 0; j < kNear; ++j) sc += (p >> j & 1u) != 0 ? (j < 3 ? 4 : 2) : 0;
      near[p] = static_cast<std::uint8_t>(sc);
    }
    for (std::uint32_t p = 0; p < (1u << 7); ++p) {
      int sc = 0;
      for (int j = 0; j < 7; ++j) sc += static_cast<int>(p >> j & 1u);
      far[p] = static_cast<std::uint8_t>(sc);
    }
  }
};
inline constexpr ScoreTables kScores{};

inline constexpr std::uint64_t kOnes = 0x0101010101010101u;
inline constexpr std::uint64_t kLow7 = 0x7F7F7F7F7F7F7F7Fu;

// Bit k set where byte lane k (bits 8k..8k+7) of x is zero.
inline std::uint32_t zero_lanes(std::uint64_t x) {
  const std::uint64_t high = ~(((x & kLow7) + kLow7) | x | kLow7);  // lane's top bit: zero lane
  return static_cast<std::uint32_t>(((high >> 7) * 0x0102040810204080u) >> 56);
}

// Which of the N <= 16 neighbours equal a label, as a bit pattern. uint8 labels are compared eight
// at a time in a 64-bit word (a lane is zero after XOR where the label matches); wider labels one
// by one.
template <class T, int N>
class Matcher {
 public:
  explicit Matcher(const T* nb) : nb_(nb) {}
  T value(int i) const { return nb_[i]; }
  std::uint32_t pattern(T v) const {
    std::uint32_t pattern = 0;
    for (int j = 0; j < N; ++j) pattern |= static_cast<std::uint32_t>(nb_[j] == v) << j;
    return pattern;
  }

 private:
  const T* nb_;
};

template <int N>
class Matcher<std::uint8_t, N> {
 public:
  static_assert(N <= 24);
  explicit Matcher(const std::uint8_t* nb) {
    for (int j = 0; j < N; ++j) words_[j / 8] |= std::uint64_t{nb[j]} << (8 * (j % 8));
#if defined(__SSE2__) && defined(__x86_64__)
    lanes_ = _mm_set_epi64x(static_cast<long long>(words_[1]), static_cast<long long>(words_[0]));
#endif
  }
  std::uint8_t value(int i) const {
    return static_cast<std::uint8_t>(words_[i / 8] >> (8 * (i % 8)));
  }
  std::uint32_t pattern(std::uint8_t v) const {
#if defined(__SSE2__) && defined(__x86_64__)
    // The first 16 neighbours in one vector: one byte comparison and a mask (decoding the sample
    // case at level default took 7-14 % less time than with the SWAR below).
    const __m128i eq = _mm_cmpeq_epi8(lanes_, _mm_set1_epi8(static_cast<char>(v)));
    std::uint32_t pattern = static_cast<std::uint32_t>(_mm_movemask_epi8(eq));
#else
    const std::uint64_t b = std::uint64_t{v} * kOnes;
    std::uint32_t pattern = zero_lanes(words_[0] ^ b);
    if constexpr (N > 8) pattern |= zero_lanes(words_[1] ^ b) << 8;
#endif
    if constexpr (N > 16) pattern |= zero_lanes(words_[2] ^ (std::uint64_t{v} * kOnes)) << 16;
    return pattern & ((std::uint32_t{1} << N) - 1);
  }

 private:
  std::uint64_t words_[3] = {0, 0, 0};
#if defined(__SSE2__) && defined(__x86_64__)
  __m128i lanes_;
#endif
};

// The fast level's nine uint8 neighbours: W apart, and neighbours 1-8 as the byte lanes of one
// word (lane i-1 = neighbour i). Those eight lie in rows already coded, so everything derived
// from them alone (their labels a and b, which lanes hold them, the score of those lanes) is
// computed before W, the voxel just decoded, is known; only a comparison with W remains on the
// decoder's critical path.
class NearWord {
 public:
  // n, p, pn, ps: the north row, and the previous slice's same, north and south rows.
  NearWord(const std::uint8_t* n, const std::uint8_t* p, const std::uint8_t* pn,
           const std::uint8_t* ps, std::ptrdiff_t x, std::uint8_t west)
      : west_(west) {
    const std::uint8_t lane[kNear - 1] = {n[x],     p[x],     n[x - 1], n[x + 1],
                                          p[x - 1], p[x + 1], pn[x],    ps[x]};
    for (int j = 0; j < kNear - 1; ++j) word_ |= std::uint64_t{lane[j]} << (8 * j);
    a_ = static_cast<std::uint8_t>(word_);
    lanes_a_ = lanes(a_);
    b_ = lanes_a_ == 0xFFu ? a_ : value(std::countr_zero(~lanes_a_) + 1);
    lanes_b_ = lanes(b_);
    two_ = (lanes_a_ | lanes_b_) == 0xFFu;
    score_a_ = kScores.near[lanes_a_ << 1];
    score_b_ = kScores.near[lanes_b_ << 1];
  }
  std::uint8_t value(int i) const {
    return i == 0 ? west_ : static_cast<std::uint8_t>(word_ >> (8 * (i - 1)));
  }
  std::uint32_t pattern(std::uint8_t v) const { return lanes(v) << 1 | (v == west_ ? 1u : 0u); }

  // Neighbours 1-8 hold at most two labels: a (= neighbour 1), and b (= a when they hold one).
  bool two() const { return two_; }
  std::uint8_t west() const { return west_; }
  std::uint8_t a() const { return a_; }
  std::uint8_t b() const { return b_; }
  std::uint32_t lanes_a() const { return lanes_a_; }
  std::uint32_t lanes_b() const { return lanes_b_; }
  int score_a() const { return score_a_; }
  int score_b() const { return score_b_; }

 private:
  // Which lanes hold v: one byte comparison and mask on x86-64, SWAR elsewhere.
  std::uint32_t lanes(std::uint8_t v) const {
#if defined(__SSE2__) && defined(__x86_64__)
    const __m128i eq = _mm_cmpeq_epi8(_mm_cvtsi64_si128(static_cast<long long>(word_)),
                                      _mm_set1_epi8(static_cast<char>(v)));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(eq)) & 0xFFu;
#else
    return zero_lanes(word_ ^ (v * kOnes));
#endif
  }

  std::uint64_t word_ = 0;
  std::uint8_t west_;
  std::uint8_t a_, b_;
  std::uint32_t lanes_a_, lanes_b_;
  int score_a_, score_b_;
  bool two_;
};

struct EncodeIo {
  static constexpr bool kEncode = true;
  RangeEncoder rc;
  [[gnu::always_inline]] int bit(BitModel& m, int b, std::uint32_t limit) {
    rc.encode(b, m.p);
    update_model(m, b, limit);
    return b;
  }
  int bit_p(std::uint32_t p, int b) {
    rc.encode(b, p);
    return b;
  }
};

struct DecodeIo {
  static constexpr bool kEncode = false;
  RangeDecoder rc;
  [[gnu::always_inline]] int bit(BitModel& m, int, std::uint32_t limit) {
    const int b = rc.decode(m.p);
    update_model(m, b, limit);
    return b;
  }
  int bit_p(std::uint32_t p, int) { return rc.decode(p); }
};

// A logistic mixer of the max level: seven model predictions and a bias, one weight set per
// small context (the first mixer uses 64 of the sets, the second all 1024).
struct Mixer {
  static constexpr int kInputs = 8;
  static constexpr int kSets = 1024;
  std::int32_t w[kSets][kInputs];
  Mixer() {
    for (auto& set : w) {
      for (int i = 0; i < kInputs; ++i) set[i] = i < kInputs - 1 ? 12000 : 0;
    }
  }
};

// A layer's predicted labels (FORMAT.md A.5.5): a reference layer's labels translated into this
// layer's values, for the whole chunk. `at_box` is the prediction at the crop box's first voxel;
// rows hold nx voxels and slices ny rows (the chunk's).
template <class T>
struct Prediction {
  const T* at_box = nullptr;
  std::size_t nx = 0, ny = 0;
};

// kRef: the chunk is coded against a prediction, which is then the last of the N neighbours
// (the predicted label at the voxel itself) and also cuts the run mode's stretches.
// kTwo: every voxel is 0 or `foreground` (stream mode 4, FORMAT.md A.5.6): a voxel in context
// mode is one decision, in the context of which neighbours hold the foreground.
// kEdge (with kRef, stream mode 5, FORMAT.md A.5.7): a voxel on the prediction's edge (a
// neighbour in its row or column of the predicted slice holds another label) ends a stretch, and
// its decisions know it is on the edge.
template <class T, class Io, int N, bool kMix, bool kRef = false, bool kTwo = false,
          bool kEdge = false>
class VoxelCoder {
  static_assert(!(kTwo && (kMix || kRef)), "mode 4 is coded at levels fast and default alone");
  static_assert(!kEdge || kRef, "the prediction's edge needs a prediction");

 public:
  // primed (kTwo only, stream mode 6): the two-label and run models start primed.
  VoxelCoder(Io& io, const Box& box, Prediction<T> prediction = {}, T foreground = T{1},
             bool primed = false)
      : io_(io),
        box_(box),
        stride_(box.wx + 4),
        slice_size_((box.wy + 4) * stride_),
        prediction_(prediction),
        foreground_(foreground),
        cand_(std::size_t{kEdge ? 32 : 16} << N) {
    for (auto& s : slices_) s.assign(slice_size_, T{0});
    if constexpr (kRef) {
      predicted_.assign(slice_size_, T{0});
      row_same_.assign(box.wy, 1);
    }
    palette_.push_back(T{0});
    if constexpr (Io::kEncode) palette_index_[T{0}] = 0;
    if constexpr (kTwo) {
      if (primed) prime();
    }
  }

  // Codes slice zz of the crop box. Encoder: `src` points at the chunk's voxels and `dims_nx`,
  // `dims_ny` are the chunk's row and slice sizes. Decoder: same, but written.
  // Returns false on a decoding inconsistency.
  bool code_slice(std::size_t zz, std::conditional_t<Io::kEncode, const T*, T*> chunk,
                  std::size_t nx, std::size_t ny) {
    T* cur = slices_[zz % 3].data();
    const T* prev = slices_[(zz + 2) % 3].data();
    const T* prev2 = slices_[(zz + 1) % 3].data();
    const std::size_t z = box_.z0 + zz;
    if constexpr (Io::kEncode) {
      for (std::size_t y = 0; y < box_.wy; ++y) {
        const T* row = chunk + (z * ny + box_.y0 + y) * nx + box_.x0;
        std::memcpy(cur + (y + 2) * stride_ + 2, row, box_.wx * sizeof(T));
      }
    }
    if constexpr (kRef) {
      for (std::size_t y = 0; y < box_.wy; ++y) {
        const T* from = prediction_.at_box + (zz * prediction_.ny + y) * prediction_.nx;
        std::memcpy(predicted_.data() + (y + 2) * stride_ + 2, from, box_.wx * sizeof(T));
      }
    }
    first_ = zz == 0 ? 1u : 0u;
    const std::ptrdiff_t s = static_cast<std::ptrdiff_t>(stride_);
    // With a prediction, a slice and then each row first says whether it is the prediction's:
    // a near-copy of the reference costs little more than its differences.
    bool whole_slice_predicted = false;
    if constexpr (kRef) {
      whole_slice_predicted = code_same_as_predicted(slice_same_[slice_was_same_], cur, 0, box_.wy);
      slice_was_same_ = whole_slice_predicted ? 1u : 0u;
    }
    for (std::size_t y = 0; y < box_.wy; ++y) {
      const std::size_t row = (y + 2) * stride_ + 2;
      T* c = cur + row;
      if constexpr (kRef) {
        const std::uint8_t above = y > 0 ? row_same_[y - 1] : std::uint8_t{1};
        const std::uint8_t before = row_same_[y];  // the same row of the previous slice
        const std::uint32_t filled = all_zero(predicted_.data() + row, box_.wx) ? 0u : 1u;
        row_same_[y] = 1;
        if (whole_slice_predicted ||
            code_same_as_predicted(row_same_model_[above][before][filled], cur, y, y + 1)) {
          continue;
        }
        row_same_[y] = 0;
      }
      for (int i = 0; i < kGathered; ++i) {
        if (kRef && i == kPredicted) {
          nb_[i] = predicted_.data() + row;
          continue;
        }
        // With a prediction the template's neighbours after it move up one place.
        const Offset& o = kTemplate[kRef && i > kPredicted ? i - 1 : i];
        const T* base = o.dz == 0 ? cur : (o.dz == -1 ? prev : prev2);
        nb_[i] = base + row + o.dy * s + o.dx;
      }
      if constexpr (kEdge) {
        edge_.resize(box_.wx + 1);
        for (std::size_t x = 0; x < box_.wx; ++x) {
          const T* q = predicted_.data() + row + x;  // the padding keeps q[-s] .. q[s] in bounds
          const T v = q[0];
          edge_[x] = (q[-1] != v || q[1] != v || q[-s] != v || q[s] != v) ? 1 : 0;
        }
        edge_[box_.wx] = 0;
      }
      if (!code_row(c, prev + row, s, kRef ? predicted_.data() + row : nullptr)) return false;
    }
    if constexpr (!Io::kEncode) {
      for (std::size_t y = 0; y < box_.wy; ++y) {
        const T* decoded = cur + (y + 2) * stride_ + 2;
        // Into zeros, a row of zeros is not written: its pages stay unmapped zero pages.
        if (out_is_zero_ && all_zero(decoded, box_.wx)) continue;
        std::memcpy(chunk + (z * ny + box_.y0 + y) * nx + box_.x0, decoded, box_.wx * sizeof(T));
      }
    }
    return true;
  }

  // The decoder's output already holds zeros (decode_chunk's out_is_zero).
  void set_output_is_zero() { out_is_zero_ = true; }

 private:
  // Mode 6: the pattern models (fast) or their nearest-pattern starts (default), and the run
  // flags, begin primed (kPrimedTwoLabels).
  void prime() {
    run_limit_ = kPrimedRunLimit;
    for (std::uint32_t p = 0; p < (1u << kNear); ++p) {
      if constexpr (N > kNear) {
        near_[p] = kPrimedTwoLabels.pattern[p];
      } else {
        cand_[p] = kPrimedTwoLabels.pattern[p];
      }
    }
    for (auto& by_first : run_) {
      for (auto& by_zero : by_first) {
        for (auto& by_end : by_zero) {
          for (BitModel& m : by_end) m = BitModel{kPrimedRun, kPrimedCount};
        }
      }
    }
  }

  // Codes whether rows [y0, y1) of the current slice equal the prediction; the decoder then
  // copies them from it.
  bool code_same_as_predicted(BitModel& model, T* cur, std::size_t y0, std::size_t y1) {
    const std::size_t first = (y0 + 2) * stride_;
    const std::size_t size = (y1 - y0) * stride_;
    int same = 0;
    if constexpr (Io::kEncode) {
      same = std::memcmp(cur + first, predicted_.data() + first, size * sizeof(T)) == 0 ? 1 : 0;
    }
    same = io_.bit(model, same, kRunLimit);
    if constexpr (!Io::kEncode) {
      if (same != 0) std::memcpy(cur + first, predicted_.data() + first, size * sizeof(T));
    }
    return same != 0;
  }

  // An OR over the row, without an early exit, so that the compiler vectorises it.
  static bool all_zero(const T* row, std::size_t n) {
    T any = 0;
    for (std::size_t i = 0; i < n; ++i) any |= row[i];
    return any == T{0};
  }

  // Length of the stretch from x on where every neighbour outside the current row holds v:
  // north row x-1..x+k, previous slice row x-1..x+k, its north and south rows x..x+k-1.
  static std::uint64_t load64(const T* p) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof(w));
    return w;
  }

  static std::uint64_t broadcast(T v) {
    return static_cast<std::uint64_t>(v) *
           (~std::uint64_t{0} / ((std::uint64_t{1} << (4 * sizeof(T)) << (4 * sizeof(T))) - 1));
  }

  static std::ptrdiff_t stretch(const T* n, const T* p, const T* pn, const T* ps, std::ptrdiff_t x,
                                std::ptrdiff_t wx, T v) {
    // A word at a time: a word XOR the broadcast value is zero where its labels equal v, and its
    // lowest nonzero lane (in memory order) is the first voxel that breaks the stretch.
    constexpr std::ptrdiff_t kPer = static_cast<std::ptrdiff_t>(8 / sizeof(T));
    const std::uint64_t bv = broadcast(v);
    std::ptrdiff_t i = x;
    for (; i + kPer <= wx; i += kPer) {
      const std::uint64_t bad = (load64(n + i + 1) ^ bv) | (load64(p + i + 1) ^ bv) |
                                (load64(pn + i) ^ bv) | (load64(ps + i) ^ bv);
      if (bad != 0) {
        const int bit = std::endian::native == std::endian::little ? std::countr_zero(bad)
                                                                   : std::countl_zero(bad);
        return i + bit / static_cast<int>(8 * sizeof(T)) - x;
      }
    }
    while (i < wx && n[i + 1] == v && p[i + 1] == v && pn[i] == v && ps[i] == v) ++i;
    return i - x;
  }

  // Flattened: the per-voxel work (ranking, models, range coder) is inlined into the scan; the
  // rare paths (escapes, offsets, the general ranking) are noinline and stay out of the loop.
  // q: the row's predicted labels (kRef), else null.
  [[gnu::flatten]] bool code_row(T* c, const T* p, std::ptrdiff_t s, const T* q) {
    const T* n = c - s;
    const T* pn = p - s;
    const T* ps = p + s;
    const std::ptrdiff_t wx = static_cast<std::ptrdiff_t>(box_.wx);
    std::ptrdiff_t x = 0;
    while (x < wx) {
      const T v = c[x - 1];
      if (n[x - 1] == v && p[x - 1] == v && n[x] == v && p[x] == v &&
          (!kRef || (q[x] == q[x - 1] && !on_edge(x)))) {
        std::ptrdiff_t k = stretch(n, p, pn, ps, x, wx, v);
        // With a prediction a stretch also ends where the prediction changes (kEdge: before a
        // voxel on its edge): there the prediction, not the neighbours, tells what comes next.
        std::uint32_t cut = 0;
        if constexpr (kRef) {
          const std::ptrdiff_t kq = same_run(q, x, wx);
          if (kq <= k && x + kq < wx) cut = 1;
          k = std::min(k, kq);
        }
        if (k > 0) {
          std::ptrdiff_t j = k;  // offset of the first voxel that differs from v
          if constexpr (Io::kEncode) {
            for (j = 0; j < k && c[x + j] == v; ++j) {
            }
          }
          const unsigned bucket =
              std::min(12u, static_cast<unsigned>(std::bit_width(static_cast<std::size_t>(k))));
          const unsigned ends = x + k == wx ? 1u : 0u;
          BitModel& m = run_model(v == T{0} ? 1u : 0u, ends, bucket, q, x, v, cut);
          if (io_.bit(m, j == k ? 1 : 0, run_limit_) != 0) {
            if constexpr (!Io::kEncode) std::fill(c + x, c + x + k, v);
            x += k;
            if (x < wx) {
              if (!code_voxel(c, p, s, x, false, v)) return false;
              ++x;
            }
            continue;
          }
          j = static_cast<std::ptrdiff_t>(
              code_offset(static_cast<std::size_t>(j), static_cast<std::size_t>(k)));
          if (j >= k) return false;
          if constexpr (!Io::kEncode) std::fill(c + x, c + x + j, v);
          x += j;
          if (!code_voxel(c, p, s, x, true, v)) return false;
          ++x;
          continue;
        }
      }
      if (!code_voxel(c, p, s, x, false, v)) return false;
      ++x;
    }
    return true;
  }

  BitModel& run_model(std::uint32_t zero, std::uint32_t ends, unsigned bucket, const T* q,
                      std::ptrdiff_t x, T v, std::uint32_t cut) {
    if constexpr (kRef) return run_ref_[first_][zero][ends][bucket][q[x] == v ? 1 : 0][cut];
    return run_[first_][zero][ends][bucket];
  }

  // Length of the stretch from x on where the prediction keeps the label it has at x.
  // (kEdge: and no voxel after x is on its edge).
  std::ptrdiff_t same_run(const T* q, std::ptrdiff_t x, std::ptrdiff_t wx) const {
    const T v = q[x];
    std::ptrdiff_t i = x + 1;
    while (i < wx && q[i] == v && !on_edge(i)) ++i;
    return i - x;
  }

  // kEdge: whether voxel x of the current row is on the prediction's edge.
  std::uint32_t on_edge(std::ptrdiff_t x) const {
    if constexpr (kEdge) return edge_[static_cast<std::size_t>(x)];
    return 0;
  }

  // Offset j in [0, k) of a broken stretch: bit_width(k - 1) bits, most significant first.
  [[gnu::noinline]] std::size_t code_offset(std::size_t j, std::size_t k) {
    const unsigned nbits = static_cast<unsigned>(std::bit_width(k - 1));
    std::size_t value = 0;
    for (unsigned b = nbits; b-- > 0;) {
      const int bit = Io::kEncode ? static_cast<int>((j >> b) & 1u) : 0;
      BitModel& m = offset_[std::min(nbits, 24u)][std::min(b, 24u)];
      value = (value << 1) | static_cast<std::size_t>(io_.bit(m, bit, kEscLimit));
    }
    return value;
  }

  // The candidates of one voxel: its distinct neighbour labels (but the excluded one), each with
  // its pattern (which neighbours hold it), best score first; ties keep template order.
  struct Ranked {
    T cand[static_cast<std::size_t>(N)];
    std::uint32_t pats[static_cast<std::size_t>(N)];
    int nc = 0;
  };

  // The prediction (kRef) outweighs any neighbour: a layer coded against another follows it.
  static constexpr int kPredictedScore = 8;
  static int score_of(std::uint32_t pattern) {
    constexpr std::uint32_t kTemplateBits = (std::uint32_t{1} << (kRef ? N - 1 : N)) - 1;
    const std::uint32_t neighbours = pattern & kTemplateBits;
    int score = kScores.near[neighbours & kNearMask] + kScores.far[neighbours >> kNear];
    if constexpr (kRef) score += (pattern >> kPredicted & 1u) != 0 ? kPredictedScore : 0;
    return score;
  }

  // Nearly every voxel coded in context mode lies on the boundary of two labels, so one or two
  // candidates are found without a loop or a sort: the second one holds every neighbour the
  // first does not. Other voxels take the general path.
  template <class Neighbours>
  static void rank(const Neighbours& match, bool has_excluded, T excluded, Ranked& r) {
    constexpr std::uint32_t kAll = (std::uint32_t{1} << N) - 1;
    const T v0 = match.value(0);
    const std::uint32_t p0 = match.pattern(v0);
    if (p0 == kAll) {
      r.nc = has_excluded && v0 == excluded ? 0 : 1;
      r.cand[0] = v0;
      r.pats[0] = p0;
      return;
    }
    const T v1 = match.value(std::countr_zero(~p0));
    const std::uint32_t p1 = p0 ^ kAll;
    if (match.pattern(v1) != p1) return rank_general(match, has_excluded, excluded, r);
    order_two(v0, p0, score_of(p0), v1, p1, score_of(p1), has_excluded, excluded, r);
  }

  // The fast level's ranking (uint8), the same as rank() but from NearWord's precomputed labels.
  static void rank_near(const NearWord& nw, bool has_excluded, T excluded, Ranked& r) {
    constexpr std::uint32_t kAll = (std::uint32_t{1} << N) - 1;
    constexpr int kWestScore = 4;
    const T w = nw.west();
    if (!nw.two()) return rank_general(nw, has_excluded, excluded, r);
    if (w == nw.a() || w == nw.b()) {
      const bool is_a = w == nw.a();
      const std::uint32_t p0 = (is_a ? nw.lanes_a() : nw.lanes_b()) << 1 | 1u;
      if (p0 == kAll) {
        r.nc = has_excluded && w == excluded ? 0 : 1;
        r.cand[0] = w;
        r.pats[0] = p0;
        return;
      }
      order_two(w, p0, (is_a ? nw.score_a() : nw.score_b()) + kWestScore, is_a ? nw.b() : nw.a(),
                p0 ^ kAll, is_a ? nw.score_b() : nw.score_a(), has_excluded, excluded, r);
      return;
    }
    // W differs from both: two candidates only when neighbours 1-8 all hold one label.
    if (nw.lanes_a() != 0xFFu) return rank_general(nw, has_excluded, excluded, r);
    order_two(w, 1u, kWestScore, nw.a(), kAll ^ 1u, nw.score_a(), has_excluded, excluded, r);
  }

  // Candidates v0 (first in template order) and v1, holding all neighbours between them.
  static void order_two(T v0, std::uint32_t p0, int s0, T v1, std::uint32_t p1, int s1,
                        bool has_excluded, T excluded, Ranked& r) {
    if (has_excluded && (v0 == excluded || v1 == excluded)) {
      const bool keep0 = v1 == excluded;
      r.nc = 1;
      r.cand[0] = keep0 ? v0 : v1;
      r.pats[0] = keep0 ? p0 : p1;
      return;
    }
    // The stable sort of two: the second goes first only when it scores strictly higher.
    const bool swap = s1 > s0;
    r.nc = 2;
    r.cand[0] = swap ? v1 : v0;
    r.cand[1] = swap ? v0 : v1;
    r.pats[0] = swap ? p1 : p0;
    r.pats[1] = swap ? p0 : p1;
  }

  template <class Neighbours>
  [[gnu::noinline]] static void rank_general(const Neighbours& match, bool has_excluded, T excluded,
                                             Ranked& r) {
    constexpr std::uint32_t kAll = (std::uint32_t{1} << N) - 1;
    int score[kN];
    int nc = 0;
    for (std::uint32_t covered = 0; covered != kAll;) {
      const T v = match.value(std::countr_zero(~covered));
      const std::uint32_t pattern = match.pattern(v);
      covered |= pattern;
      if (has_excluded && v == excluded) continue;
      r.cand[nc] = v;
      r.pats[nc] = pattern;
      score[nc] = score_of(pattern);
      ++nc;
    }
    // Stable insertion sort by descending score.
    for (int i = 1; i < nc; ++i) {
      const T cv = r.cand[i];
      const std::uint32_t pv = r.pats[i];
      const int sv = score[i];
      int j = i;
      while (j > 0 && score[j - 1] < sv) {
        r.cand[j] = r.cand[j - 1];
        r.pats[j] = r.pats[j - 1];
        score[j] = score[j - 1];
        --j;
      }
      r.cand[j] = cv;
      r.pats[j] = pv;
      score[j] = sv;
    }
    r.nc = nc;
  }

  // Codes voxel x of the current row in context mode. `excluded` (when has_excluded) is known
  // not to be the value.
  [[gnu::always_inline]] bool code_voxel(T* c, const T* p, std::ptrdiff_t s, std::ptrdiff_t x,
                                         bool has_excluded, T excluded) {
    if constexpr (kTwo) {
      code_two(c, x, has_excluded, excluded);
      return true;
    }
    Ranked ranked;
    if constexpr (kUseNearWord) {
      rank_near(NearWord(c - s, p, p - s, p + s, x, c[x - 1]), has_excluded, excluded, ranked);
    } else {
      T nb[kN];
      for (int i = 0; i < N; ++i) nb[i] = nb_[i][x];
      rank(NeighbourMatcher(nb), has_excluded, excluded, ranked);
    }
    const T* cand = ranked.cand;
    const std::uint32_t* pats = ranked.pats;
    const int nc = ranked.nc;
    const T truth = Io::kEncode ? c[x] : T{0};
    const std::uint32_t ncand = static_cast<std::uint32_t>(std::min(nc, 3));
    for (int r = 0; r < nc; ++r) {
      const T cv = cand[r];
      const std::uint32_t pattern = pats[r];
      const std::uint32_t rank = static_cast<std::uint32_t>(std::min(r, 3));
      const std::uint32_t zero = cv == T{0} ? 1u : 0u;
      const std::uint32_t later = rank > 0 ? 1u : 0u;
      const std::uint32_t ctx =
          (((pattern << 1 | later) << 1 | zero) << 2 | ncand) << (kEdge ? 1 : 0) | on_edge(x);
      const int want = Io::kEncode && truth == cv ? 1 : 0;
      int got;
      if constexpr (kMix) {
        std::uint32_t extra = 0;
        for (int i = N; i < kGathered; ++i) {
          extra |= static_cast<std::uint32_t>(nb_[i][x] == cv) << (i - N);
        }
        got = code_mixed(ctx, pattern, rank, zero, ncand, extra, cv,
                         cand[r == 0 ? (nc > 1 ? 1 : 0) : 0], want);
      } else if constexpr (N > kNear) {
        // kEdge: the fallback also knows whether the candidate is predicted, and the edge.
        const std::uint32_t edge_bits =
            kEdge ? ((pattern >> kPredicted & 1u) << 1 | on_edge(x)) : 0u;
        BitModel& near =
            near_[(((pattern & kNearMask) << 1 | later) << 1 | zero) << (kEdge ? 2 : 0) |
                  edge_bits];
        got = code_with_fallback(ctx, near, want, kCandLimit, kNearLimit);
      } else {
        got = io_.bit(cand_[ctx], want, kCandLimit);
      }
      if (got != 0) {
        if constexpr (!Io::kEncode) c[x] = cv;
        return true;
      }
    }
    return code_escape(c, x);
  }

  // Codes a decision with the model of context ctx; a context seen for the first time starts from
  // the estimate of its nearest-neighbour fallback, which learns from every decision.
  [[gnu::always_inline]] int code_with_fallback(std::uint32_t ctx, BitModel& near, int want,
                                                std::uint32_t limit, std::uint32_t near_limit) {
    BitModel& m = cand_[ctx];
    if (m.n == 0) {
      m.p = near.p;
      cand_.first_use(ctx);
    }
    const int got = io_.bit(m, want, limit);
    update_model(near, got, near_limit);
    return got;
  }

  // Mode 4: the voxel is the foreground or 0. The one that breaks a stretch is known to be the
  // other label, so it costs nothing; any other is one decision whose context is the pattern of
  // neighbours holding the foreground (the two candidates' ranking and escape of mode 2 would
  // code the same choice in up to three decisions).
  [[gnu::always_inline]] void code_two(T* c, std::ptrdiff_t x, bool has_excluded, T excluded) {
    if (has_excluded) {
      if constexpr (!Io::kEncode) c[x] = excluded == T{0} ? foreground_ : T{0};
      return;
    }
    T nb[kN];
    for (int i = 0; i < N; ++i) nb[i] = nb_[i][x];
    const std::uint32_t pattern = NeighbourMatcher(nb).pattern(foreground_);
    const int want = Io::kEncode && c[x] != T{0} ? 1 : 0;
    int got;
    if constexpr (N > kNear) {
      got = code_with_fallback(pattern, near_[pattern & kNearMask], want, kTwoLimit, kTwoLimit);
    } else {
      got = io_.bit(cand_[pattern], want, kTwoLimit);
    }
    if constexpr (!Io::kEncode) c[x] = got != 0 ? foreground_ : T{0};
  }

  // The max level: seven models of the candidate decision mixed in the logistic domain by two
  // mixers, then refined by an APM. `other` is the competing candidate (the second-ranked one for
  // the first decision, else the first).
  int code_mixed(std::uint32_t ctx, std::uint32_t pattern, std::uint32_t rank, std::uint32_t zero,
                 std::uint32_t ncand, std::uint32_t extra, T label, std::uint64_t other, int want) {
    static constexpr StretchTable kStretch{};
    const std::uint32_t later = rank > 0 ? 1u : 0u;
    // m0: the full pattern (as the default level). m1: the 7 nearest neighbours with rank, the
    // number of candidates and the first-slice flag. m2: the full pattern and the second ring
    // (hashed). m3: the 9 nearest, and the cross two slices back (surface drift across slices).
    // m4: the 9 nearest and the label value itself (hashed: shapes differ between structures).
    // m5: the 9 nearest with rank and the number of candidates; a fresh m0 starts from it.
    // m6: the 9 nearest and the pair of labels meeting there (hashed).
    // With a prediction, m1 and m5 also know whether the candidate is the predicted label.
    // kEdge: and whether the voxel is on the prediction's edge (ctx's lowest bit).
    constexpr int kPredictedBits = kRef ? (kEdge ? 2 : 1) : 0;
    const std::uint32_t predicted =
        kRef ? ((pattern >> kPredicted & 1u) << (kEdge ? 1 : 0) | (kEdge ? (ctx & 1u) : 0u)) : 0u;
    const std::uint32_t c1 =
        (((((pattern & 0x7Fu) << 2 | rank) << 1 | zero) << 2 | ncand) << 1 | first_)
            << kPredictedBits |
        predicted;
    const std::uint32_t c2 = static_cast<std::uint32_t>(
        ((std::uint64_t{ctx} << kExtraNeighbours | extra) * 0x9E3779B97F4A7C15u) >> 42);
    const std::uint32_t c3 =
        ((((pattern & 0x1FFu) | (pattern >> 4 & 0x200u)) << 4 | (extra >> 6)) << 1 | later) << 1 |
        zero;
    const std::uint32_t c4 = static_cast<std::uint32_t>(
        (((std::uint64_t{label} << 10 | (pattern & 0x1FFu)) << 1 | later) * 0xD6E8FEB86659FD93u) >>
        44);
    const std::uint32_t c5 =
        ((((pattern & 0x1FFu) << 2 | rank) << 1 | zero) << 2 | ncand) << kPredictedBits | predicted;
    const std::uint32_t c6 = static_cast<std::uint32_t>(
        ((((std::uint64_t{label} << 32 | other) << 9 | (pattern & 0x1FFu)) << 1 | later) *
         0x9E3779B97F4A7C15u) >>
        44);
    MixTables& t = mix_;
    ReusedModels* tables[Mixer::kInputs - 1] = {&cand_,      &t.small, &t.large, &t.drift,
                                                &t.labelled, &t.near9, &t.pair};
    const std::uint32_t at[Mixer::kInputs - 1] = {ctx, c1, c2, c3, c4, c5, c6};
    BitModel* m[Mixer::kInputs - 1];
    for (int i = 0; i < Mixer::kInputs - 1; ++i) {
      m[i] = &(*tables[i])[at[i]];
      if (m[i]->n == 0) tables[i]->first_use(at[i]);  // every model below is updated
    }
    if (m[0]->n == 0) m[0]->p = m[5]->p;
    int st[Mixer::kInputs];
    for (int i = 0; i < Mixer::kInputs - 1; ++i) st[i] = kStretch.t[m[i]->p >> 4];
    st[Mixer::kInputs - 1] = 256;
    // Two mixers with differently selected weight sets; their outputs are averaged in the
    // logistic domain, then refined by the APM.
    std::int32_t* w1 = mixer_.w[(rank << 1 | zero) << 3 | std::min<std::uint32_t>(m[0]->n, 7)];
    std::int32_t* w2 = mixer2_.w[(pattern & kNearMask) << 1 | later];
    const int d1 = mixer_dot(w1, st);
    const int d2 = mixer_dot(w2, st);
    const int p1 = std::clamp(squash(d1), 1, 4095);
    const int p2 = std::clamp(squash(d2), 1, 4095);
    const int p12 = std::clamp(squash((d1 + d2) >> 1), 1, 4095);
    const std::uint32_t pa = apm_.refine(kStretch.t[p12], (pattern & kNearMask) << 1 | later);
    const std::uint32_t pf = std::clamp<std::uint32_t>(
        ((static_cast<std::uint32_t>(p12) << 4) + pa * 3) >> 2, kProbMin, kProbMax);
    const int bit = io_.bit_p(pf, want);
    apm_.update(bit);
    // Weights follow the gradient of the coding cost; then every model learns the bit.
    mixer_train(w1, st, (bit << 12) - p1);
    mixer_train(w2, st, (bit << 12) - p2);
    for (BitModel* model : m) update_model(*model, bit, kMixLimit);
    return bit;
  }

  static int mixer_dot(const std::int32_t* w, const int* st) {
    std::int64_t dot = 0;
    for (int i = 0; i < Mixer::kInputs; ++i) dot += static_cast<std::int64_t>(w[i]) * st[i];
    return static_cast<int>(std::clamp<std::int64_t>(dot >> 16, -2047, 2047));
  }

  static void mixer_train(std::int32_t* w, const int* st, int err) {
    for (int i = 0; i < Mixer::kInputs; ++i) {
      w[i] = std::clamp(w[i] + ((st[i] * err) >> 10), -(1 << 22), 1 << 22);
    }
  }

  [[gnu::noinline]] bool code_escape(T* c, std::ptrdiff_t x) {
    const T truth = Io::kEncode ? c[x] : T{0};
    std::size_t index = 0;
    bool known = false;
    if constexpr (Io::kEncode) {
      const auto it = palette_index_.find(truth);
      known = it != palette_index_.end();
      if (known) index = it->second;
    }
    const std::size_t size = palette_.size();
    const unsigned size_bucket = std::min(15u, static_cast<unsigned>(std::bit_width(size)));
    known = io_.bit(esc_known_[size_bucket], known ? 1 : 0, kEscLimit) != 0;
    if (known) {
      const unsigned nbits = static_cast<unsigned>(std::bit_width(size - 1));
      std::size_t value = 0;
      std::size_t node = 1;
      for (unsigned b = nbits; b-- > 0;) {
        const int want = Io::kEncode ? static_cast<int>((index >> b) & 1u) : 0;
        BitModel& m =
            node < 256 ? pal_tree_[std::min(nbits, 16u)][node] : pal_low_[std::min(b, 31u)];
        const int bit = io_.bit(m, want, kEscLimit);
        value = (value << 1) | static_cast<std::size_t>(bit);
        node = node < 256 ? (node << 1) | static_cast<std::size_t>(bit) : node;
      }
      if (value >= size) return false;
      if constexpr (!Io::kEncode) c[x] = palette_[value];
      return true;
    }
    // A new label: zigzag of its difference to the previous new label, as bit count + bits.
    std::uint64_t zz = 0;
    if constexpr (Io::kEncode) {
      const std::int64_t d =
          static_cast<std::int64_t>(truth) - static_cast<std::int64_t>(last_new_);
      zz = d >= 0 ? static_cast<std::uint64_t>(d) << 1 : (static_cast<std::uint64_t>(-d) << 1) - 1;
    }
    const unsigned want_bits = static_cast<unsigned>(std::bit_width(zz));
    unsigned nbits = 0;
    for (unsigned b = 6; b-- > 0;) {
      const int want = static_cast<int>((want_bits >> b) & 1u);
      const int bit = io_.bit(new_bits_count_[(1u << (5 - b)) | (nbits)], want, kEscLimit);
      nbits = (nbits << 1) | static_cast<unsigned>(bit);
    }
    if (nbits > 33) return false;
    std::uint64_t value = nbits == 0 ? 0 : 1;
    for (unsigned b = nbits > 0 ? nbits - 1 : 0; b-- > 0;) {
      const int want = static_cast<int>((zz >> b) & 1u);
      const int bit = io_.bit(new_bits_[nbits][std::min(b, 33u)], want, kEscLimit);
      value = (value << 1) | static_cast<std::uint64_t>(bit);
    }
    const std::int64_t delta = (value & 1u) != 0 ? -static_cast<std::int64_t>((value + 1) >> 1)
                                                 : static_cast<std::int64_t>(value >> 1);
    const std::int64_t label = static_cast<std::int64_t>(last_new_) + delta;
    if (label < 0 || label > static_cast<std::int64_t>(std::numeric_limits<T>::max())) {
      return false;
    }
    const T v = static_cast<T>(label);
    last_new_ = v;
    if constexpr (Io::kEncode) {
      palette_index_.emplace(v, palette_.size());
    } else {
      c[x] = v;
    }
    palette_.push_back(v);
    return true;
  }

  Io& io_;
  Box box_;
  std::size_t stride_;
  std::size_t slice_size_;
  std::vector<T> slices_[3];
  Prediction<T> prediction_;
  T foreground_;                    // kTwo: the one nonzero label
  std::vector<T> predicted_;        // kRef: the current slice's prediction, padded as the slices
  std::vector<std::uint8_t> edge_;  // kEdge: the current row's voxels on the prediction's edge
  // kRef: whether each row of the previous (then current) slice equalled its prediction, whether
  // the previous slice did, and their models.
  std::vector<std::uint8_t> row_same_;
  std::uint32_t slice_was_same_ = 1;
  BitModel slice_same_[2];
  BitModel row_same_model_[2][2][2];
  static constexpr std::size_t kN = N;
  static constexpr int kPredicted = N - 1;  // the prediction's bit in a pattern (kRef)
  static constexpr int kGathered = kMix ? N + kExtraNeighbours : N;
  const T* nb_[static_cast<std::size_t>(kGathered)] = {};
  using NeighbourMatcher = Matcher<T, N>;
  static constexpr bool kUseNearWord =
      std::is_same_v<T, std::uint8_t> && N == kNear && !kMix && !kRef;
  std::uint32_t first_ = 0;
  bool out_is_zero_ = false;
  // The large tables are reused between chunks (each lists its models on first use, and resets
  // only those); the fast level's is small.
  std::conditional_t<(N > kNear), ReusedModels, std::vector<BitModel>> cand_;
  BitModel near_[(kEdge ? 16u : 4u) << kNear];
  // The max level's other models (code_mixed), each table in its own slot of the thread's spares.
  struct MixTables {
    ReusedModels small{std::size_t{1} << (kEdge ? 15 : (kRef ? 14 : 13)), 1};
    ReusedModels large{std::size_t{1} << 22, 2};
    ReusedModels drift{std::size_t{1} << 16, 3};
    ReusedModels labelled{std::size_t{1} << 20, 4};
    ReusedModels near9{std::size_t{1} << (kEdge ? 16 : (kRef ? 15 : 14)), 5};
    ReusedModels pair{std::size_t{1} << 20, 6};
  };
  struct NoTables {};
  std::conditional_t<kMix, MixTables, NoTables> mix_;
  struct NoMixer {};
  std::conditional_t<kMix, Mixer, NoMixer> mixer_;  // 32 KiB each, cleared per chunk: max only
  std::conditional_t<kMix, Mixer, NoMixer> mixer2_;
  Apm apm_{kMix ? std::size_t{2} << kNear : 0};
  BitModel run_[2][2][2][13];
  std::uint32_t run_limit_ = kRunLimit;  // kPrimedRunLimit in mode 6
  // kRef: also whether the prediction holds the stretch's label and whether it cut the stretch.
  std::conditional_t<kRef, BitModel[2][2][2][13][2][2], BitModel[1]> run_ref_;
  BitModel offset_[25][25];
  BitModel esc_known_[16];
  BitModel pal_tree_[17][256];
  BitModel pal_low_[32];
  BitModel new_bits_count_[64];
  BitModel new_bits_[34][34];
  std::vector<T> palette_;
  std::unordered_map<T, std::size_t> palette_index_;  // encoder only
  T last_new_ = T{0};
};

}  // namespace medmask::codec
