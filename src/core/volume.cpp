#include "medmask/volume.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "core/dtype_dispatch.hpp"
#include "core/voxel_runs.hpp"
#include "detail/volume_memory.hpp"
#include "medmask/error.hpp"

namespace medmask {

std::size_t dtype_size(DType dtype) noexcept {
  switch (dtype) {
    case DType::kBool:
    case DType::kUInt8:
      return 1;
    case DType::kUInt16:
      return 2;
    case DType::kUInt32:
      return 4;
  }
  return 1;
}

std::string_view dtype_name(DType dtype) noexcept {
  switch (dtype) {
    case DType::kBool:
      return "bool";
    case DType::kUInt8:
      return "uint8";
    case DType::kUInt16:
      return "uint16";
    case DType::kUInt32:
      return "uint32";
  }
  return "?";
}

std::uint32_t dtype_max_value(DType dtype) noexcept {
  switch (dtype) {
    case DType::kBool:
      return 1;
    case DType::kUInt8:
      return 0xFF;
    case DType::kUInt16:
      return 0xFFFF;
    case DType::kUInt32:
      return 0xFFFFFFFF;
  }
  return 0;
}

DType dtype_for_max_value(std::uint32_t max_value) noexcept {
  if (max_value <= 0xFF) return DType::kUInt8;
  if (max_value <= 0xFFFF) return DType::kUInt16;
  return DType::kUInt32;
}

std::string shape_text(std::span<const std::int64_t> shape) {
  std::string text = "(";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + (shape.size() == 1 ? ",)" : ")");
}

namespace {

std::size_t checked_voxel_count(const Shape3& shape_zyx) {
  std::size_t count = 1;
  for (std::int64_t extent : shape_zyx) {
    if (extent < 0) {
      throw ArgumentError("volume extent " + std::to_string(extent) + " is negative");
    }
    const auto e = static_cast<std::size_t>(extent);
    if (e != 0 && count > std::numeric_limits<std::size_t>::max() / 4 / e) {
      throw LimitError("volume of " + std::to_string(shape_zyx[0]) + " x " +
                       std::to_string(shape_zyx[1]) + " x " + std::to_string(shape_zyx[2]) +
                       " voxels overflows the address space");
    }
    count *= e;
  }
  return count;
}

}  // namespace

LabelVolume::LabelVolume() = default;

LabelVolume::LabelVolume(DType dtype, Shape3 shape_zyx)
    : dtype_(dtype), shape_zyx_(shape_zyx), size_(checked_voxel_count(shape_zyx)) {
  // Untouched pages stay unmapped zero pages: a mostly empty mask (a structure read back from an
  // archive) costs what it writes.
  owner_ = detail::allocate_zeroed(size_ * dtype_size(dtype));
  data_ = owner_.get();
}

LabelVolume::LabelVolume(DType dtype, Shape3 shape_zyx, void* data, std::shared_ptr<void> owner)
    : dtype_(dtype),
      shape_zyx_(shape_zyx),
      size_(checked_voxel_count(shape_zyx)),
      data_(data),
      owner_(std::move(owner)) {
  if (data_ == nullptr && size_ != 0) throw ArgumentError("borrowed volume has no data");
}

std::uint32_t LabelVolume::get(std::size_t index) const noexcept {
  switch (dtype_) {
    case DType::kBool:
    case DType::kUInt8:
      return static_cast<const std::uint8_t*>(data_)[index];
    case DType::kUInt16:
      return static_cast<const std::uint16_t*>(data_)[index];
    case DType::kUInt32:
      return static_cast<const std::uint32_t*>(data_)[index];
  }
  return 0;
}

void LabelVolume::set(std::size_t index, std::uint32_t value) noexcept {
  switch (dtype_) {
    case DType::kBool:
    case DType::kUInt8:
      static_cast<std::uint8_t*>(data_)[index] = static_cast<std::uint8_t>(value);
      break;
    case DType::kUInt16:
      static_cast<std::uint16_t*>(data_)[index] = static_cast<std::uint16_t>(value);
      break;
    case DType::kUInt32:
      static_cast<std::uint32_t*>(data_)[index] = value;
      break;
  }
}

LabelVolume LabelVolume::clone() const {
  LabelVolume copy(dtype_, shape_zyx_);
  if (byte_size() != 0) std::memcpy(copy.data(), data_, byte_size());
  return copy;
}

std::uint32_t LabelVolume::max_value() const noexcept {
  std::uint32_t result = 0;
  detail::visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    const T* values = static_cast<const T*>(data_);
    T best = 0;
    for (std::size_t i = 0; i < size_; ++i) best = std::max(best, values[i]);
    result = best;
  });
  return result;
}

LabelVolume LabelVolume::converted(DType dtype) const {
  if (dtype == dtype_) return clone();
  const std::uint32_t limit = dtype_max_value(dtype);
  if (max_value() > limit) {
    throw ArgumentError("value " + std::to_string(max_value()) + " does not fit dtype " +
                        std::string(dtype_name(dtype)));
  }
  LabelVolume result(dtype, shape_zyx_);
  for (std::size_t i = 0; i < size_; ++i) result.set(i, get(i));
  return result;
}

bool LabelVolume::equals(const LabelVolume& other) const noexcept {
  if (shape_zyx_ != other.shape_zyx_) return false;
  const bool same_width = dtype_size(dtype_) == dtype_size(other.dtype_);
  if (same_width) return byte_size() == 0 || std::memcmp(data_, other.data_, byte_size()) == 0;
  for (std::size_t i = 0; i < size_; ++i) {
    if (get(i) != other.get(i)) return false;
  }
  return true;
}

LabelVolume LabelVolume::reversed_axes() const {
  const std::int64_t n0 = shape_zyx_[0], n1 = shape_zyx_[1], n2 = shape_zyx_[2];
  LabelVolume result(dtype_, Shape3{n2, n1, n0});
  const auto row_length = static_cast<std::size_t>(n2);
  const auto out_plane = static_cast<std::size_t>(n1 * n0);
  const auto out_row = static_cast<std::size_t>(n0);
  detail::visit_dtype(dtype_, [&](auto tag) {
    using T = decltype(tag);
    const T* in = data_as<T>();
    T* out = result.data_as<T>();
    for (std::int64_t i = 0; i < n0; ++i) {
      for (std::int64_t j = 0; j < n1; ++j) {
        const std::size_t row = static_cast<std::size_t>(i * n1 + j) * row_length;
        // Element [i][j][k] goes to [k][j][i]: out index k * n1 * n0 + j * n0 + i.
        const std::size_t base =
            static_cast<std::size_t>(j) * out_row + static_cast<std::size_t>(i);
        std::size_t k = 0;
        while (true) {
          k = detail::skip_zeros(in + row, k, row_length);
          if (k == row_length) break;
          for (; k < row_length && in[row + k] != 0; ++k) out[k * out_plane + base] = in[row + k];
        }
      }
    }
  });
  return result;
}

}  // namespace medmask
