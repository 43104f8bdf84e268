// medmask/volume.hpp: a 3-D array of labels in numpy (z, y, x) C order.
//
// A LabelVolume either owns its voxels or borrows them from another owner (a numpy array, a
// memory map) kept alive through a shared_ptr, so arrays cross the API without copies.
// Copying a LabelVolume shares the same voxels (like a numpy view); use clone() for a deep copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "medmask/space.hpp"

namespace medmask {

// Pinned values: they are stored in files.
enum class DType : std::uint8_t { kBool = 0, kUInt8 = 1, kUInt16 = 2, kUInt32 = 3 };

std::size_t dtype_size(DType dtype) noexcept;
std::string_view dtype_name(DType dtype) noexcept;  // numpy names: "bool", "uint8", ...
std::uint32_t dtype_max_value(DType dtype) noexcept;
// Smallest unsigned dtype holding max_value (uint8 for 0..255, ...); never kBool.
DType dtype_for_max_value(std::uint32_t max_value) noexcept;

// An array shape as numpy prints it, in the order given: "(3, 4, 5)", "(7,)" for one axis, "()"
// for none. The one spelling of shapes in messages of the library, the CLI and Python.
std::string shape_text(std::span<const std::int64_t> shape);

class LabelVolume {
 public:
  LabelVolume();  // empty: shape (0, 0, 0), uint8
  // Owned and zero-filled. Throws ArgumentError for a negative extent, LimitError on overflow.
  LabelVolume(DType dtype, Shape3 shape_zyx);
  // Borrowed: data must hold shape product * dtype_size bytes, C order, and stay valid while
  // owner lives. A bool volume must hold only 0 and 1 bytes.
  LabelVolume(DType dtype, Shape3 shape_zyx, void* data, std::shared_ptr<void> owner);

  DType dtype() const noexcept { return dtype_; }
  const Shape3& shape_zyx() const noexcept { return shape_zyx_; }
  std::size_t size() const noexcept { return size_; }  // number of voxels
  std::size_t byte_size() const noexcept { return size_ * dtype_size(dtype_); }
  void* data() noexcept { return data_; }
  const void* data() const noexcept { return data_; }
  template <class T>
  T* data_as() noexcept {
    return static_cast<T*>(data_);
  }
  template <class T>
  const T* data_as() const noexcept {
    return static_cast<const T*>(data_);
  }
  const std::shared_ptr<void>& owner() const noexcept { return owner_; }

  // Value at a flat C-order index. Requires: index < size().
  std::uint32_t get(std::size_t index) const noexcept;
  void set(std::size_t index, std::uint32_t value) noexcept;

  LabelVolume clone() const;
  // Same voxels, values converted. Throws ArgumentError if a value does not fit the new dtype.
  LabelVolume converted(DType dtype) const;
  std::uint32_t max_value() const noexcept;
  bool equals(const LabelVolume& other) const noexcept;  // same shape and values (any dtypes)
  // A new volume with the axes reversed: element [k][j][i] of the result is element [i][j][k] of
  // this one (shape reversed). Given the memory of a Fortran-order array seen as C order, this is
  // the array in C order. The work follows the non-zero voxels (zero bytes are skipped eight at a
  // time; the result's untouched pages stay zero pages), so a mostly empty mask costs a scan.
  LabelVolume reversed_axes() const;

 private:
  DType dtype_ = DType::kUInt8;
  Shape3 shape_zyx_{0, 0, 0};
  std::size_t size_ = 0;
  void* data_ = nullptr;
  std::shared_ptr<void> owner_;
};

}  // namespace medmask
