#include "container/slab_scatter.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "detail/dtype_dispatch.hpp"
#include "detail/voxel_runs.hpp"

namespace medmask::detail {

namespace {

// The targets of each value: a dense table for the small values label maps use, a sorted search
// beyond it.
class TargetsByValue {
 public:
  explicit TargetsByValue(std::span<const ValueTarget> targets)
      : sorted_(targets.begin(), targets.end()) {
    std::stable_sort(sorted_.begin(), sorted_.end(),
                     [](const ValueTarget& a, const ValueTarget& b) { return a.value < b.value; });
    for (std::size_t i = 0; i < sorted_.size(); ++i) {
      const std::uint32_t v = sorted_[i].value;
      if (v >= kDense) break;
      if (dense_.size() <= v) dense_.resize(std::size_t{v} + 1, Range{0, 0});
      if (dense_[v].end == 0) dense_[v].begin = static_cast<std::uint32_t>(i);
      dense_[v].end = static_cast<std::uint32_t>(i + 1);
    }
  }

  std::span<const ValueTarget> of(std::uint32_t value) const {
    if (value < kDense) {
      if (value >= dense_.size()) return {};
      const Range r = dense_[value];
      return {sorted_.data() + r.begin, r.end - r.begin};
    }
    const auto [first, last] = std::equal_range(
        sorted_.begin(), sorted_.end(), ValueTarget{value, nullptr, 0},
        [](const ValueTarget& a, const ValueTarget& b) { return a.value < b.value; });
    return {first, last};
  }

 private:
  static constexpr std::uint32_t kDense = 1u << 16;
  struct Range {
    std::uint32_t begin, end;
  };
  std::vector<ValueTarget> sorted_;
  std::vector<Range> dense_;
};

template <class T>
void scatter_rows(const T* slab, std::int64_t slab_z0, std::int64_t z_begin, std::int64_t z_end,
                  std::size_t ny, std::size_t nx, const LabelStats& box,
                  const TargetsByValue& targets) {
  const auto x_begin = static_cast<std::size_t>(box.bbox_min_zyx[2]);
  const auto x_end = static_cast<std::size_t>(box.bbox_max_zyx[2]) + 1;
  for (std::int64_t z = z_begin; z < z_end; ++z) {
    for (std::int64_t y = box.bbox_min_zyx[1]; y <= box.bbox_max_zyx[1]; ++y) {
      const std::size_t row_in_slice = static_cast<std::size_t>(y) * nx;
      const T* row = slab + static_cast<std::size_t>(z - slab_z0) * ny * nx + row_in_slice;
      std::size_t x = x_begin;
      while (x < x_end) {
        x = skip_zeros(row, x, x_end);
        if (x == x_end) break;
        const T value = row[x];
        const std::size_t begin = x;
        while (x < x_end && row[x] == value) ++x;
        for (const ValueTarget& t : targets.of(value)) {
          std::uint8_t* mask_row =
              t.mask + static_cast<std::size_t>(z - t.mask_z0) * ny * nx + row_in_slice;
          std::memset(mask_row + begin, 1, x - begin);
        }
      }
    }
  }
}

}  // namespace

void scatter_slab(const LabelVolume& slab, std::int64_t slab_z0, std::int64_t z_begin,
                  std::int64_t z_end, const LabelStats& box, std::span<const ValueTarget> targets) {
  if (box.voxels == 0 || z_begin >= z_end || targets.empty()) return;
  const TargetsByValue by_value(targets);
  const auto ny = static_cast<std::size_t>(slab.shape_zyx()[1]);
  const auto nx = static_cast<std::size_t>(slab.shape_zyx()[2]);
  visit_dtype(slab.dtype(), [&](auto tag) {
    using T = decltype(tag);
    scatter_rows(slab.data_as<T>(), slab_z0, z_begin, z_end, ny, nx, box, by_value);
  });
}

}  // namespace medmask::detail
