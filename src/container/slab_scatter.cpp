#include "container/slab_scatter.hpp"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/dtype_dispatch.hpp"
#include "core/voxel_runs.hpp"

namespace medmask::container {

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

// Where the slab lies in the grid, and the rows and columns of the grid (the masks' size).
struct Placement {
  std::int64_t z0, y0, x0;  // the slab's first voxel in the grid
  std::size_t ny, nx;       // the slab's rows and columns
  std::size_t grid_ny, grid_nx;
};

template <class T>
void scatter_rows(const T* slab, const Placement& at, std::int64_t z_begin, std::int64_t z_end,
                  std::int64_t y_begin, std::int64_t y_end, std::int64_t x_begin,
                  std::int64_t x_end, const TargetsByValue& targets) {
  // Columns relative to the slab; rows and slices in grid coordinates.
  const auto x0 = static_cast<std::size_t>(x_begin - at.x0);
  const auto x1 = static_cast<std::size_t>(x_end - at.x0);
  for (std::int64_t z = z_begin; z < z_end; ++z) {
    for (std::int64_t y = y_begin; y < y_end; ++y) {
      const T* row = slab + (static_cast<std::size_t>(z - at.z0) * at.ny +
                             static_cast<std::size_t>(y - at.y0)) *
                                at.nx;
      const std::size_t grid_row =
          static_cast<std::size_t>(y) * at.grid_nx + static_cast<std::size_t>(at.x0);
      std::size_t x = x0;
      while (x < x1) {
        x = detail::skip_zeros(row, x, x1);
        if (x == x1) break;
        const T value = row[x];
        const std::size_t begin = x;
        while (x < x1 && row[x] == value) ++x;
        for (const ValueTarget& t : targets.of(value)) {
          std::uint8_t* mask_row =
              t.mask + static_cast<std::size_t>(z - t.mask_z0) * at.grid_ny * at.grid_nx + grid_row;
          std::memset(mask_row + begin, 1, x - begin);
        }
      }
    }
  }
}

}  // namespace

void scatter_slab(const LabelVolume& slab, const Shape3& origin_zyx, std::int64_t z_begin,
                  std::int64_t z_end, const LabelStats& box, std::int64_t grid_ny,
                  std::int64_t grid_nx, std::span<const ValueTarget> targets) {
  if (box.voxels == 0 || z_begin >= z_end || targets.empty()) return;
  const Shape3& shape = slab.shape_zyx();
  const std::int64_t y_begin = std::max(box.bbox_min_zyx[1], origin_zyx[1]);
  const std::int64_t y_end = std::min(box.bbox_max_zyx[1] + 1, origin_zyx[1] + shape[1]);
  const std::int64_t x_begin = std::max(box.bbox_min_zyx[2], origin_zyx[2]);
  const std::int64_t x_end = std::min(box.bbox_max_zyx[2] + 1, origin_zyx[2] + shape[2]);
  if (y_begin >= y_end || x_begin >= x_end) return;
  const TargetsByValue by_value(targets);
  const Placement at{origin_zyx[0],
                     origin_zyx[1],
                     origin_zyx[2],
                     static_cast<std::size_t>(shape[1]),
                     static_cast<std::size_t>(shape[2]),
                     static_cast<std::size_t>(grid_ny),
                     static_cast<std::size_t>(grid_nx)};
  detail::visit_dtype(slab.dtype(), [&](auto tag) {
    using T = decltype(tag);
    scatter_rows(slab.data_as<T>(), at, z_begin, z_end, y_begin, y_end, x_begin, x_end, by_value);
  });
}

}  // namespace medmask::container
