#include "medmask/mask.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "core/dtype_dispatch.hpp"
#include "core/voxel_runs.hpp"
#include "detail/parallel_for.hpp"
#include "medmask/error.hpp"
#include "medmask/threads.hpp"

namespace medmask {

namespace {

void extend(LabelStats& stats, std::uint64_t count, std::int64_t z, std::int64_t y,
            std::int64_t x_first, std::int64_t x_last) {
  if (stats.voxels == 0) {
    stats.bbox_min_zyx = {z, y, x_first};
    stats.bbox_max_zyx = {z, y, x_last};
  } else {
    stats.bbox_min_zyx = {std::min(stats.bbox_min_zyx[0], z), std::min(stats.bbox_min_zyx[1], y),
                          std::min(stats.bbox_min_zyx[2], x_first)};
    stats.bbox_max_zyx = {std::max(stats.bbox_max_zyx[0], z), std::max(stats.bbox_max_zyx[1], y),
                          std::max(stats.bbox_max_zyx[2], x_last)};
  }
  stats.voxels += count;
}

template <class T>
std::map<std::uint32_t, LabelStats> stats_of(const T* values, const Shape3& shape) {
  // Runs of equal values along x are accumulated at once: masks are mostly long runs.
  std::unordered_map<std::uint32_t, LabelStats> by_value;
  const std::int64_t nz = shape[0], ny = shape[1], nx = shape[2];
  for (std::int64_t z = 0; z < nz; ++z) {
    for (std::int64_t y = 0; y < ny; ++y) {
      const T* row = values + (z * ny + y) * nx;
      std::int64_t x = 0;
      while (x < nx) {
        if (row[x] == 0) {  // background, mostly: skipped eight bytes at a time
          x = static_cast<std::int64_t>(
              detail::skip_zeros(row, static_cast<std::size_t>(x), static_cast<std::size_t>(nx)));
          continue;
        }
        const T value = row[x];
        std::int64_t end = x + 1;
        while (end < nx && row[end] == value) ++end;
        if (value != 0) {
          extend(by_value[value], static_cast<std::uint64_t>(end - x), z, y, x, end - 1);
        }
        x = end;
      }
    }
  }
  return {by_value.begin(), by_value.end()};
}

void require_same_shape(const LabelVolume& binary, const Space& space, const std::string& name) {
  if (binary.shape_zyx() != space.shape_zyx()) {
    const auto& s = binary.shape_zyx();
    const auto e = space.shape_zyx();
    throw ArgumentError("mask '" + name + "' has shape (z, y, x) = (" + std::to_string(s[0]) +
                        ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) +
                        "); expected (" + std::to_string(e[0]) + ", " + std::to_string(e[1]) +
                        ", " + std::to_string(e[2]) + ")");
  }
}

}  // namespace

std::map<std::uint32_t, LabelStats> compute_label_stats(const LabelVolume& volume) {
  switch (volume.dtype()) {
    case DType::kBool:
    case DType::kUInt8:
      return stats_of(volume.data_as<std::uint8_t>(), volume.shape_zyx());
    case DType::kUInt16:
      return stats_of(volume.data_as<std::uint16_t>(), volume.shape_zyx());
    case DType::kUInt32:
      return stats_of(volume.data_as<std::uint32_t>(), volume.shape_zyx());
  }
  return {};
}

SegmentationMask::SegmentationMask(LabelVolume volume, LabelTable labels, Space space)
    : volume_(std::move(volume)), labels_(std::move(labels)), space_(std::move(space)) {
  require_same_shape(volume_, space_, "label map");
  const std::uint32_t limit = dtype_max_value(volume_.dtype());
  for (const Label& label : labels_) {
    if (label.value > limit) {
      throw ArgumentError("label '" + label.name + "' has value " + std::to_string(label.value) +
                          ", beyond the maximum " + std::to_string(limit) + " of dtype " +
                          std::string(dtype_name(volume_.dtype())));
    }
  }
  if (volume_.dtype() == DType::kBool && volume_.max_value() > 1) {
    throw ArgumentError("bool label map holds values other than 0 and 1");
  }
}

SegmentationMask SegmentationMask::lazy_init(int bit_depth, const Space& space) {
  DType dtype;
  switch (bit_depth) {
    case 1:
      dtype = DType::kBool;
      break;
    case 8:
      dtype = DType::kUInt8;
      break;
    case 16:
      dtype = DType::kUInt16;
      break;
    case 32:
      dtype = DType::kUInt32;
      break;
    default:
      throw ArgumentError("bit_depth must be 1, 8, 16 or 32; found " + std::to_string(bit_depth));
  }
  return SegmentationMask(LabelVolume(dtype, space.shape_zyx()), LabelTable{}, space);
}

std::vector<LabelOverlap> SegmentationMask::add_label(const LabelVolume& binary,
                                                      std::uint32_t value, const std::string& name,
                                                      OverlapPolicy policy, BinaryAxes axes) {
  if (axes == BinaryAxes::kXyz) {
    const Shape3& s = space_.shape_zyx();
    if (binary.shape_zyx() != Shape3{s[2], s[1], s[0]}) {
      const auto& b = binary.shape_zyx();
      throw ArgumentError("mask '" + name + "' (x, y, z) has shape (" + std::to_string(b[0]) +
                          ", " + std::to_string(b[1]) + ", " + std::to_string(b[2]) +
                          "); expected (" + std::to_string(s[2]) + ", " + std::to_string(s[1]) +
                          ", " + std::to_string(s[0]) + ")");
    }
  } else {
    require_same_shape(binary, space_, name);
  }
  if (value > dtype_max_value(volume_.dtype())) {
    throw ArgumentError("label '" + name + "': value " + std::to_string(value) +
                        " does not fit dtype " + std::string(dtype_name(volume_.dtype())));
  }
  LabelTable labels = labels_;
  labels.add(Label{name, value, {}, {}, {}});  // validates name and value before any voxel changes

  // Count overlap first so that a refusal leaves the mask unchanged. Masks are mostly
  // background: work on the runs of inside voxels only.
  const detail::Runs runs = detail::inside_runs(binary);
  // The voxel index in the label map of every inside voxel, run by run. Runs of an (x, y, z)
  // binary go along z: a stride of one slice in the map.
  const Shape3& shape = volume_.shape_zyx();
  const auto plane = static_cast<std::size_t>(shape[1] * shape[2]);
  const auto for_each_inside = [&](auto&& fn) {
    if (axes == BinaryAxes::kZyx) {
      for (const detail::Run& run : runs) {
        for (std::size_t i = run.begin; i < run.end; ++i) fn(i);
      }
      return;
    }
    const auto nz = static_cast<std::size_t>(shape[0]);
    const auto ny = static_cast<std::size_t>(shape[1]);
    const auto nx = static_cast<std::size_t>(shape[2]);
    for (const detail::Run& run : runs) {
      const std::size_t row = run.begin / nz;  // x * ny + y of the binary
      std::size_t i = (run.begin % nz) * plane + (row % ny) * nx + row / ny;
      for (std::size_t n = run.begin; n < run.end; ++n, i += plane) fn(i);
    }
  };
  std::map<std::uint32_t, std::uint64_t> overlap;
  detail::visit_dtype(volume_.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* voxels = volume_.data_as<T>();
    for_each_inside([&](std::size_t i) {
      if (const auto existing = static_cast<std::uint32_t>(voxels[i]); existing != 0) {
        ++overlap[existing];
      }
    });
  });
  std::vector<LabelOverlap> painted_over;
  for (const auto& [other_value, count] : overlap) {
    const Label* other = labels_.find_value(other_value);
    painted_over.push_back(LabelOverlap{other_value, other ? other->name : "", count});
  }
  if (!painted_over.empty() && policy == OverlapPolicy::kRefuse) {
    const LabelOverlap& worst = *std::max_element(
        painted_over.begin(), painted_over.end(),
        [](const LabelOverlap& a, const LabelOverlap& b) { return a.voxels < b.voxels; });
    const std::string other_name = worst.name.empty()
                                       ? "unnamed value " + std::to_string(worst.value)
                                       : "'" + worst.name + "'";
    throw ArgumentError("structure '" + name + "' overlaps " + other_name + " in " +
                        std::to_string(worst.voxels) + " voxels; structures of one label map " +
                        "must be exclusive (store overlapping structures as separate masks or " +
                        "layers)");
  }
  if (axes == BinaryAxes::kZyx) {
    detail::fill_runs(volume_, runs, value);
  } else {
    detail::visit_dtype(volume_.dtype(), [&](auto tag) {
      using T = decltype(tag);
      T* voxels = volume_.data_as<T>();
      for_each_inside([&](std::size_t i) { voxels[i] = static_cast<T>(value); });
    });
  }
  labels_ = std::move(labels);
  return painted_over;
}

LabelVolume SegmentationMask::binary_mask_by_names(std::span<const std::string> names) const {
  std::vector<std::uint32_t> values;
  values.reserve(names.size());
  for (const std::string& name : names) values.push_back(labels_.at(name).value);
  return binary_mask_by_values(values);
}

LabelVolume SegmentationMask::binary_mask_by_values(std::span<const std::uint32_t> values) const {
  LabelVolume result(DType::kBool, volume_.shape_zyx());
  const std::unordered_set<std::uint32_t> wanted(values.begin(), values.end());
  if (wanted.empty()) return result;
  auto* out = result.data_as<std::uint8_t>();
  const std::size_t n = volume_.size();
  detail::visit_dtype(volume_.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* in = volume_.data_as<T>();
    if (wanted.size() == 1) {  // the common case, a loop the compiler vectorises
      const std::uint32_t only = *wanted.begin();
      if (only > std::numeric_limits<T>::max()) return;  // no voxel can hold it
      const auto value = static_cast<T>(only);
      for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(in[i] == value);
    } else {
      for (std::size_t i = 0; i < n; ++i) out[i] = wanted.count(in[i]) != 0;
    }
  });
  return result;
}

LabelVolume SegmentationMask::binary_mask_by_values(
    std::span<const std::uint32_t> values, const std::array<std::int64_t, 3>& min_zyx,
    const std::array<std::int64_t, 3>& max_zyx) const {
  const Shape3& shape = volume_.shape_zyx();
  LabelVolume result(DType::kBool, shape);
  const std::unordered_set<std::uint32_t> wanted(values.begin(), values.end());
  for (std::size_t axis = 0; axis < 3; ++axis) {
    if (min_zyx[axis] > max_zyx[axis]) return result;  // empty box
    if (min_zyx[axis] < 0 || max_zyx[axis] >= static_cast<std::int64_t>(shape[axis])) {
      throw ArgumentError("binary_mask_by_values: box outside the grid");
    }
  }
  if (wanted.empty()) return result;
  auto* out = result.data_as<std::uint8_t>();
  const auto ny = static_cast<std::size_t>(shape[1]);
  const auto nx = static_cast<std::size_t>(shape[2]);
  const auto x0 = static_cast<std::size_t>(min_zyx[2]);
  const auto width = static_cast<std::size_t>(max_zyx[2] - min_zyx[2] + 1);
  const auto z0 = static_cast<std::size_t>(min_zyx[0]);
  const auto slices = static_cast<std::size_t>(max_zyx[0] - min_zyx[0] + 1);
  const auto rows = static_cast<std::size_t>(max_zyx[1] - min_zyx[1] + 1);
  // A large box is shared by the threads, a slice each: the time goes into faulting in the new
  // array's pages, which threads do side by side. A small one is not worth waking them.
  constexpr std::size_t kVoxelsWorthThreads = std::size_t{1} << 18;
  const unsigned threads = slices * rows * width >= kVoxelsWorthThreads ? default_threads() : 1;
  const bool single = wanted.size() == 1;
  const std::uint32_t only = single ? *wanted.begin() : 0;
  detail::visit_dtype(volume_.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (single && only > std::numeric_limits<T>::max()) return;  // no voxel can hold it
    const T value = static_cast<T>(only);
    const T* in = volume_.data_as<T>();
    detail::parallel_for(slices, threads, [&](std::size_t slice) {
      const std::size_t z = z0 + slice;
      for (auto y = static_cast<std::size_t>(min_zyx[1]); y <= static_cast<std::size_t>(max_zyx[1]);
           ++y) {
        // Row pointers and the value in locals: stores through a uint8_t* may alias what the
        // lambda captured by reference, which would keep the compiler from vectorising.
        const std::size_t row = (z * ny + y) * nx + x0;
        const T* from = in + row;
        std::uint8_t* to = out + row;
        const std::size_t n = width;
        const T v = value;
        if (single) {  // the common case, loops the compiler vectorises
          // A row without the value is not written: its pages of the new array stay unmapped.
          // An OR of 0/1 bytes vectorises; a bool OR of 32-bit comparisons did not.
          std::uint8_t hits = 0;
          for (std::size_t i = 0; i < n; ++i) hits |= static_cast<std::uint8_t>(from[i] == v);
          if (hits == 0) continue;
          for (std::size_t i = 0; i < n; ++i) to[i] = static_cast<std::uint8_t>(from[i] == v);
        } else {
          for (std::size_t i = 0; i < n; ++i) {
            to[i] = static_cast<std::uint8_t>(wanted.count(from[i]) != 0);
          }
        }
      }
    });
  });
  return result;
}

}  // namespace medmask
