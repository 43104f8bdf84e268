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

#include "codec/context_model.hpp"
#include "codec/range_coder.hpp"

namespace medmask::codec {

struct Box {
  std::size_t x0, y0, z0, wx, wy, wz;  // crop box inside the chunk, widths >= 1
};

// Update limits of the adaptive models (how many past bits they average over at most).
inline constexpr std::uint32_t kCandLimit = 60;
inline constexpr std::uint32_t kMixLimit = 30;  // the mixed models of the max level
inline constexpr std::uint32_t kRunLimit = 255;
inline constexpr std::uint32_t kEscLimit = 30;

struct EncodeIo {
  static constexpr bool kEncode = true;
  RangeEncoder rc;
  int bit(BitModel& m, int b, std::uint32_t limit) {
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
  int bit(BitModel& m, int, std::uint32_t limit) {
    const int b = rc.decode(m.p);
    update_model(m, b, limit);
    return b;
  }
  int bit_p(std::uint32_t p, int) { return rc.decode(p); }
};

// The logistic mixer of the max level: three model predictions and a bias, one weight set per
// small context, then an adaptive probability map (APM) on the result.
struct Mixer {
  static constexpr int kInputs = 6;
  static constexpr int kSets = 64;
  std::int32_t w[kSets][kInputs];
  Mixer() {
    for (auto& set : w) {
      for (int i = 0; i < kInputs; ++i) set[i] = i < kInputs - 1 ? 18000 : 0;
    }
  }
};

template <class T, class Io, int N, bool kMix>
class VoxelCoder {
 public:
  VoxelCoder(Io& io, const Box& box)
      : io_(io),
        box_(box),
        stride_(box.wx + 4),
        slice_size_((box.wy + 4) * stride_),
        cand_(std::size_t{4} << N) {
    for (auto& s : slices_) s.assign(slice_size_, T{0});
    palette_.push_back(T{0});
    if constexpr (Io::kEncode) palette_index_[T{0}] = 0;
    if constexpr (kMix) {
      small_.resize(std::size_t{1} << 13);
      large_.resize(std::size_t{1} << 22);
      drift_.resize(std::size_t{1} << 16);
      labelled_.resize(std::size_t{1} << 20);
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
    first_ = zz == 0 ? 1u : 0u;
    const std::ptrdiff_t s = static_cast<std::ptrdiff_t>(stride_);
    for (std::size_t y = 0; y < box_.wy; ++y) {
      const std::size_t row = (y + 2) * stride_ + 2;
      T* c = cur + row;
      for (int i = 0; i < kGathered; ++i) {
        const Offset& o = kTemplate[i];
        const T* base = o.dz == 0 ? cur : (o.dz == -1 ? prev : prev2);
        nb_[i] = base + row + o.dy * s + o.dx;
      }
      if (!code_row(c, prev + row, s)) return false;
    }
    if constexpr (!Io::kEncode) {
      for (std::size_t y = 0; y < box_.wy; ++y) {
        T* row = chunk + (z * ny + box_.y0 + y) * nx + box_.x0;
        std::memcpy(row, cur + (y + 2) * stride_ + 2, box_.wx * sizeof(T));
      }
    }
    return true;
  }

 private:
  // Length of the stretch from x on where every neighbour outside the current row holds v:
  // north row x-1..x+k, previous slice row x-1..x+k, its north and south rows x..x+k-1.
  static std::uint64_t load64(const T* p) {
    std::uint64_t w;
    std::memcpy(&w, p, sizeof(w));
    return w;
  }

  static std::ptrdiff_t stretch(const T* n, const T* p, const T* pn, const T* ps, std::ptrdiff_t x,
                                std::ptrdiff_t wx, T v) {
    // Eight bytes at a time: a word XOR the broadcast value is zero when all its labels equal v.
    constexpr std::ptrdiff_t kPer = static_cast<std::ptrdiff_t>(8 / sizeof(T));
    const std::uint64_t bv =
        static_cast<std::uint64_t>(v) *
        (~std::uint64_t{0} / ((std::uint64_t{1} << (4 * sizeof(T)) << (4 * sizeof(T))) - 1));
    std::ptrdiff_t i = x;
    while (i + 2 * kPer <= wx) {
      const std::uint64_t bad = (load64(n + i + 1) ^ bv) | (load64(p + i + 1) ^ bv) |
                                (load64(pn + i) ^ bv) | (load64(ps + i) ^ bv) |
                                (load64(n + i + 1 + kPer) ^ bv) | (load64(p + i + 1 + kPer) ^ bv) |
                                (load64(pn + i + kPer) ^ bv) | (load64(ps + i + kPer) ^ bv);
      if (bad != 0) break;
      i += 2 * kPer;
    }
    while (i < wx && n[i + 1] == v && p[i + 1] == v && pn[i] == v && ps[i] == v) ++i;
    return i - x;
  }

  bool code_row(T* c, const T* p, std::ptrdiff_t s) {
    const T* n = c - s;
    const T* pn = p - s;
    const T* ps = p + s;
    const std::ptrdiff_t wx = static_cast<std::ptrdiff_t>(box_.wx);
    std::ptrdiff_t x = 0;
    while (x < wx) {
      const T v = c[x - 1];
      if (n[x - 1] == v && p[x - 1] == v && n[x] == v && p[x] == v) {
        const std::ptrdiff_t k = stretch(n, p, pn, ps, x, wx, v);
        if (k > 0) {
          std::ptrdiff_t j = k;  // offset of the first voxel that differs from v
          if constexpr (Io::kEncode) {
            for (j = 0; j < k && c[x + j] == v; ++j) {
            }
          }
          const unsigned bucket =
              std::min(12u, static_cast<unsigned>(std::bit_width(static_cast<std::size_t>(k))));
          const unsigned ends = x + k == wx ? 1u : 0u;
          BitModel& m = run_[first_][v == T{0} ? 1 : 0][ends][bucket];
          if (io_.bit(m, j == k ? 1 : 0, kRunLimit) != 0) {
            if constexpr (!Io::kEncode) std::fill(c + x, c + x + k, v);
            x += k;
            if (x < wx) {
              if (!code_voxel(c, x, false, v)) return false;
              ++x;
            }
            continue;
          }
          j = static_cast<std::ptrdiff_t>(
              code_offset(static_cast<std::size_t>(j), static_cast<std::size_t>(k)));
          if (j >= k) return false;
          if constexpr (!Io::kEncode) std::fill(c + x, c + x + j, v);
          x += j;
          if (!code_voxel(c, x, true, v)) return false;
          ++x;
          continue;
        }
      }
      if (!code_voxel(c, x, false, v)) return false;
      ++x;
    }
    return true;
  }

  // Offset j in [0, k) of a broken stretch: bit_width(k - 1) bits, most significant first.
  std::size_t code_offset(std::size_t j, std::size_t k) {
    const unsigned nbits = static_cast<unsigned>(std::bit_width(k - 1));
    std::size_t value = 0;
    for (unsigned b = nbits; b-- > 0;) {
      const int bit = Io::kEncode ? static_cast<int>((j >> b) & 1u) : 0;
      BitModel& m = offset_[std::min(nbits, 24u)][std::min(b, 24u)];
      value = (value << 1) | static_cast<std::size_t>(io_.bit(m, bit, kEscLimit));
    }
    return value;
  }

  // Codes voxel x of the current row in context mode. `excluded` (when has_excluded) is known
  // not to be the value.
  bool code_voxel(T* c, std::ptrdiff_t x, bool has_excluded, T excluded) {
    T nb[kN];
    for (int i = 0; i < N; ++i) nb[i] = nb_[i][x];
    // Distinct labels in template order, each with its pattern (which neighbours hold it) and
    // its score (summed neighbour weights).
    T cand[kN];
    std::uint32_t pats[kN];
    int score[kN];
    int nc = 0;
    std::uint32_t covered = 0;
    for (int i = 0; i < N; ++i) {
      if ((covered >> i & 1u) != 0) continue;
      const T v = nb[i];
      std::uint32_t pattern = 0;
      int sc = 0;
      for (int j = 0; j < N; ++j) {
        const bool eq = nb[j] == v;
        pattern |= static_cast<std::uint32_t>(eq) << j;
        sc += eq ? (j < 3 ? 4 : (j < 9 ? 2 : 1)) : 0;  // neighbour weights (no popcount: portable)
      }
      covered |= pattern;
      if (has_excluded && v == excluded) continue;
      cand[nc] = v;
      pats[nc] = pattern;
      score[nc] = sc;
      ++nc;
    }
    // Stable insertion sort by descending score.
    for (int i = 1; i < nc; ++i) {
      const T cv = cand[i];
      const std::uint32_t pv = pats[i];
      const int sv = score[i];
      int j = i;
      while (j > 0 && score[j - 1] < sv) {
        cand[j] = cand[j - 1];
        pats[j] = pats[j - 1];
        score[j] = score[j - 1];
        --j;
      }
      cand[j] = cv;
      pats[j] = pv;
      score[j] = sv;
    }
    const T truth = Io::kEncode ? c[x] : T{0};
    for (int r = 0; r < nc; ++r) {
      const T cv = cand[r];
      const std::uint32_t pattern = pats[r];
      const std::uint32_t rank = static_cast<std::uint32_t>(std::min(r, 3));  // mixer only
      const std::uint32_t zero = cv == T{0} ? 1u : 0u;
      const std::uint32_t ctx = (pattern << 1 | (rank > 0 ? 1u : 0u)) << 1 | zero;
      const int want = Io::kEncode && truth == cv ? 1 : 0;
      int got;
      if constexpr (kMix) {
        std::uint32_t extra = 0;
        for (int i = N; i < kGathered; ++i) {
          extra |= static_cast<std::uint32_t>(nb_[i][x] == cv) << (i - N);
        }
        got = code_mixed(ctx, pattern, rank, zero, static_cast<std::uint32_t>(std::min(nc, 3)),
                         extra, cv, want);
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

  // The max level: five models of the candidate decision mixed in the logistic domain.
  int code_mixed(std::uint32_t ctx, std::uint32_t pattern, std::uint32_t rank, std::uint32_t zero,
                 std::uint32_t ncand, std::uint32_t extra, T label, int want) {
    static constexpr StretchTable kStretch{};
    const std::uint32_t later = rank > 0 ? 1u : 0u;
    // m0: the full pattern (as the default level). m1: the 7 nearest neighbours with rank, the
    // number of candidates and the first-slice flag. m2: the full pattern and the second ring
    // (hashed). m3: the 9 nearest, and the cross two slices back (surface drift across slices).
    // m4: the 9 nearest and the label value itself (hashed: shapes differ between structures).
    const std::uint32_t c1 =
        ((((pattern & 0x7Fu) << 2 | rank) << 1 | zero) << 2 | ncand) << 1 | first_;
    const std::uint32_t c2 = static_cast<std::uint32_t>(
        ((std::uint64_t{ctx} << kExtraNeighbours | extra) * 0x9E3779B97F4A7C15u) >> 42);
    const std::uint32_t c3 =
        ((((pattern & 0x1FFu) | (pattern >> 2 & 0x200u)) << 4 | (extra >> 6)) << 1 | later) << 1 |
        zero;
    const std::uint32_t c4 = static_cast<std::uint32_t>(
        (((std::uint64_t{label} << 10 | (pattern & 0x1FFu)) << 1 | later) * 0xD6E8FEB86659FD93u) >>
        44);
    BitModel* m[Mixer::kInputs - 1] = {&cand_[ctx], &small_[c1], &large_[c2], &drift_[c3],
                                       &labelled_[c4]};
    int st[Mixer::kInputs];
    for (int i = 0; i < Mixer::kInputs - 1; ++i) st[i] = kStretch.t[m[i]->p >> 4];
    st[Mixer::kInputs - 1] = 256;
    std::int32_t* w = mixer_.w[(rank << 1 | zero) << 3 | std::min<std::uint32_t>(m[0]->n, 7)];
    std::int64_t dot = 0;
    for (int i = 0; i < Mixer::kInputs; ++i) dot += static_cast<std::int64_t>(w[i]) * st[i];
    const int mixed = static_cast<int>(std::clamp<std::int64_t>(dot >> 16, -2047, 2047));
    const int p12 = std::clamp(squash(mixed), 1, 4095);
    const int bit = io_.bit_p(static_cast<std::uint32_t>(p12) << 4, want);
    // Weights follow the gradient of the coding cost; then every model learns the bit.
    const int err = (bit << 12) - p12;
    for (int i = 0; i < Mixer::kInputs; ++i) {
      w[i] = std::clamp(w[i] + ((st[i] * err) >> 12), -(1 << 22), 1 << 22);
    }
    for (BitModel* model : m) update_model(*model, bit, kMixLimit);
    return bit;
  }

  bool code_escape(T* c, std::ptrdiff_t x) {
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
  static constexpr std::size_t kN = N;
  static constexpr int kGathered = kMix ? N + kExtraNeighbours : N;
  const T* nb_[static_cast<std::size_t>(kGathered)] = {};
  std::uint32_t first_ = 0;
  std::vector<BitModel> cand_;
  std::vector<BitModel> small_;
  std::vector<BitModel> large_;
  std::vector<BitModel> drift_;
  std::vector<BitModel> labelled_;
  Mixer mixer_;
  BitModel run_[2][2][2][13];
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
