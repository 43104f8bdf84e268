#include "py_convert.hpp"

#include <nanobind/ndarray.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace medmask::python {

namespace {

using AnyArray = nb::ndarray<nb::ro, nb::device::cpu>;

nb::object numpy_call(const char* function, nb::handle obj, const char* dtype) {
  nb::module_ np = nb::module_::import_("numpy");
  if (dtype == nullptr) return np.attr(function)(obj);
  return np.attr(function)(obj, np.attr(dtype));
}

std::string shape_text(const AnyArray& a) {
  std::vector<std::int64_t> shape(a.ndim());
  for (std::size_t i = 0; i < a.ndim(); ++i) shape[i] = static_cast<std::int64_t>(a.shape(i));
  return medmask::shape_text(shape);
}

std::string dtype_text(nb::dlpack::dtype dt) {
  switch (static_cast<nb::dlpack::dtype_code>(dt.code)) {
    case nb::dlpack::dtype_code::Int:
      return "int" + std::to_string(dt.bits);
    case nb::dlpack::dtype_code::UInt:
      return "uint" + std::to_string(dt.bits);
    case nb::dlpack::dtype_code::Float:
      return "float" + std::to_string(dt.bits);
    case nb::dlpack::dtype_code::Bool:
      return "bool";
    default:
      return "code " + std::to_string(dt.code) + " with " + std::to_string(dt.bits) + " bits";
  }
}

// The MedMask dtype stored without conversion, if any.
std::optional<DType> native_dtype(nb::dlpack::dtype dt) {
  if (dt == nb::dtype<bool>()) return DType::kBool;
  if (dt == nb::dtype<std::uint8_t>()) return DType::kUInt8;
  if (dt == nb::dtype<std::uint16_t>()) return DType::kUInt16;
  if (dt == nb::dtype<std::uint32_t>()) return DType::kUInt32;
  return std::nullopt;
}

bool is_c_contiguous(const AnyArray& a) {
  std::int64_t expected = 1;
  for (std::size_t axis = a.ndim(); axis-- > 0;) {
    const auto extent = static_cast<std::int64_t>(a.shape(axis));
    if (extent == 0) return true;
    if (extent != 1 && a.stride(axis) != expected) return false;
    expected *= extent;
  }
  return true;
}

bool is_f_contiguous(const AnyArray& a) {
  std::int64_t expected = 1;
  for (std::size_t axis = 0; axis < a.ndim(); ++axis) {
    const auto extent = static_cast<std::int64_t>(a.shape(axis));
    if (extent == 0) return true;
    if (extent != 1 && a.stride(axis) != expected) return false;
    expected *= extent;
  }
  return true;
}

// Calls fn(T{}) with the C++ type of an integer or bool dtype; false if there is none.
template <class Fn>
bool dispatch_integer(nb::dlpack::dtype dt, Fn&& fn) {
  if (dt.lanes != 1) return false;
  switch (static_cast<nb::dlpack::dtype_code>(dt.code)) {
    case nb::dlpack::dtype_code::Bool:
      if (dt.bits != 8) return false;
      fn(bool{});
      return true;
    case nb::dlpack::dtype_code::Int:
      switch (dt.bits) {
        case 8:
          fn(std::int8_t{});
          return true;
        case 16:
          fn(std::int16_t{});
          return true;
        case 32:
          fn(std::int32_t{});
          return true;
        case 64:
          fn(std::int64_t{});
          return true;
        default:
          return false;
      }
    case nb::dlpack::dtype_code::UInt:
      switch (dt.bits) {
        case 8:
          fn(std::uint8_t{});
          return true;
        case 16:
          fn(std::uint16_t{});
          return true;
        case 32:
          fn(std::uint32_t{});
          return true;
        case 64:
          fn(std::uint64_t{});
          return true;
        default:
          return false;
      }
    default:
      return false;
  }
}

// Visits every element of a 3-D strided array in C order.
template <class T, class Fn>
void for_each_element(const AnyArray& a, Fn&& fn) {
  const T* base = static_cast<const T*>(a.data());
  const auto n0 = static_cast<std::int64_t>(a.shape(0));
  const auto n1 = static_cast<std::int64_t>(a.shape(1));
  const auto n2 = static_cast<std::int64_t>(a.shape(2));
  const std::int64_t s0 = a.stride(0), s1 = a.stride(1), s2 = a.stride(2);
  for (std::int64_t z = 0; z < n0; ++z) {
    for (std::int64_t y = 0; y < n1; ++y) {
      const T* row = base + z * s0 + y * s1;
      for (std::int64_t x = 0; x < n2; ++x) fn(row[x * s2]);
    }
  }
}

// Reads bool bytes as integers: numpy guarantees 0/1 only for arrays it made itself.
template <class T>
auto raw_value(T v) {
  if constexpr (std::is_same_v<T, bool>) {
    std::uint8_t byte;
    std::memcpy(&byte, &v, 1);
    return byte;
  } else {
    return v;
  }
}

std::string element_error(const char* what, const std::string& problem) {
  return std::string(what) + ": " + problem;
}

// Copies a strided array of a native dtype (element type T: uint8 for bool) into out, in tiles
// of the first and last axes so that both the reads and the writes stay in cache whatever the
// layout (nibabel's Fortran-order arrays read along their slowest axis otherwise). Returns the OR
// of all elements, for the bool check. Requires: out has a's shape and the same element size.
template <class T>
T copy_strided(const AnyArray& a, LabelVolume& out) {
  constexpr std::int64_t kTile = 32;
  const T* in = static_cast<const T*>(a.data());
  T* dst = static_cast<T*>(out.data());
  const auto n0 = static_cast<std::int64_t>(a.shape(0));
  const auto n1 = static_cast<std::int64_t>(a.shape(1));
  const auto n2 = static_cast<std::int64_t>(a.shape(2));
  const std::int64_t s0 = a.stride(0), s1 = a.stride(1), s2 = a.stride(2);
  T any = 0;
  for (std::int64_t y = 0; y < n1; ++y) {
    for (std::int64_t z0 = 0; z0 < n0; z0 += kTile) {
      for (std::int64_t x0 = 0; x0 < n2; x0 += kTile) {
        const std::int64_t z1 = std::min(n0, z0 + kTile), x1 = std::min(n2, x0 + kTile);
        for (std::int64_t z = z0; z < z1; ++z) {
          const T* row = in + z * s0 + y * s1;
          T* out_row = dst + (z * n1 + y) * n2;
          for (std::int64_t x = x0; x < x1; ++x) {
            const T v = row[x * s2];
            out_row[x] = v;
            any = static_cast<T>(any | v);
          }
        }
      }
    }
  }
  return any;
}

// Copies any integer or bool array into an owned volume after checking its values.
LabelVolume copy_volume(const AnyArray& a, const char* what, Shape3 shape) {
  const nb::dlpack::dtype dt = a.dtype();
  if (const std::optional<DType> native = native_dtype(dt); native && a.size() != 0) {
    // A supported dtype in another layout: every value fits, so only the layout changes.
    LabelVolume out(*native, shape);
    bool bad_bool = false;
    {
      nb::gil_scoped_release release;
      switch (*native) {
        case DType::kBool:
          bad_bool = (copy_strided<std::uint8_t>(a, out) & 0xFE) != 0;
          break;
        case DType::kUInt8:
          copy_strided<std::uint8_t>(a, out);
          break;
        case DType::kUInt16:
          copy_strided<std::uint16_t>(a, out);
          break;
        case DType::kUInt32:
          copy_strided<std::uint32_t>(a, out);
          break;
      }
    }
    if (bad_bool) {
      throw ArgumentError(element_error(what, "bool array holds bytes other than 0/1"));
    }
    return out;
  }
  LabelVolume out;
  bool bad_bool = false;
  const bool handled = dispatch_integer(dt, [&](auto tag) {
    using T = decltype(tag);
    std::int64_t min_value = 0;
    std::uint64_t max_value = 0;
    {
      nb::gil_scoped_release release;
      for_each_element<T>(a, [&](T v) {
        const auto raw = raw_value(v);
        if constexpr (std::is_signed_v<decltype(raw)>) {
          if (raw < 0) {
            min_value = std::min<std::int64_t>(min_value, raw);
            return;
          }
        }
        max_value = std::max<std::uint64_t>(max_value, static_cast<std::uint64_t>(raw));
      });
    }
    if (min_value < 0) {
      throw ArgumentError(
          element_error(what, "label values must be >= 0; found " + std::to_string(min_value)));
    }
    if (max_value > std::numeric_limits<std::uint32_t>::max()) {
      throw ArgumentError(
          element_error(what, "label values must fit uint32; found " + std::to_string(max_value)));
    }
    if (std::is_same_v<T, bool> && max_value > 1) bad_bool = true;
    const std::optional<DType> native = native_dtype(dt);
    const DType target =
        native ? *native : dtype_for_max_value(static_cast<std::uint32_t>(max_value));
    out = LabelVolume(target, shape);
    nb::gil_scoped_release release;
    std::size_t index = 0;
    for_each_element<T>(a,
                        [&](T v) { out.set(index++, static_cast<std::uint32_t>(raw_value(v))); });
  });
  if (!handled) {
    throw ArgumentError(element_error(what, "dtype " + dtype_text(dt) +
                                                " is not an integer or bool dtype; masks hold "
                                                "labels (convert with .astype(numpy.uint8))"));
  }
  if (bad_bool) throw ArgumentError(element_error(what, "bool array holds bytes other than 0/1"));
  return out;
}

}  // namespace

LabelVolume volume_from_array(nb::handle obj, const char* what, bool* read_only) {
  if (read_only != nullptr) *read_only = false;
  nb::object source = nb::borrow(obj);
  AnyArray a;
  if (!nb::try_cast(source, a, false)) {
    source = numpy_call("asarray", obj, nullptr);
    if (!nb::try_cast(source, a, false)) {
      throw ArgumentError(element_error(what, "expected a 3-D array (z, y, x)"));
    }
  }
  if (a.ndim() != 3) {
    throw ArgumentError(
        element_error(what, "expected a 3-D array (z, y, x); found shape " + shape_text(a)));
  }
  const Shape3 shape{static_cast<std::int64_t>(a.shape(0)), static_cast<std::int64_t>(a.shape(1)),
                     static_cast<std::int64_t>(a.shape(2))};
  const std::optional<DType> native = native_dtype(a.dtype());
  if (native && a.size() != 0 && !is_c_contiguous(a) && is_f_contiguous(a)) {
    // A Fortran-order array (nibabel's): its memory is the C-order array of the reversed shape,
    // reversed back without a tiled copy of the whole grid (the work follows the non-zero voxels).
    const LabelVolume xyz(*native, Shape3{shape[2], shape[1], shape[0]},
                          const_cast<void*>(a.data()), nullptr);
    LabelVolume out;
    bool bad = false;
    {
      nb::gil_scoped_release release;
      if (*native == DType::kBool) bad = xyz.max_value() > 1;
      if (!bad) out = xyz.reversed_axes();
    }
    if (bad) throw ArgumentError(element_error(what, "bool array holds bytes other than 0/1"));
    return out;
  }
  if (!native || !is_c_contiguous(a) || a.size() == 0) return copy_volume(a, what, shape);

  if (*native == DType::kBool) {
    bool bad = false;
    {
      nb::gil_scoped_release release;
      const auto* bytes = static_cast<const std::uint8_t*>(a.data());
      std::uint8_t any_high = 0;
      for (std::size_t i = 0; i < a.size(); ++i)
        any_high |= static_cast<std::uint8_t>(bytes[i] & 0xFE);
      bad = any_high != 0;
    }
    if (bad) throw ArgumentError(element_error(what, "bool array holds bytes other than 0/1"));
  }
  if (read_only != nullptr) {
    // Only a buffer that grants a writable view may be painted by add_label.
    *read_only = true;
    Py_buffer view;
    if (PyObject_GetBuffer(source.ptr(), &view, PyBUF_WRITABLE) == 0) {
      *read_only = false;
      PyBuffer_Release(&view);
    } else {
      PyErr_Clear();
    }
  }
  void* data = const_cast<void*>(a.data());
  // The copy of the ndarray holds the producer's buffer export, so the memory can neither be
  // freed nor resized while the volume lives; it is released with the GIL held.
  auto* keep = new AnyArray(a);
  std::shared_ptr<void> owner(keep, [](void* p) {
    if (!Py_IsInitialized()) return;  // interpreter gone: leak rather than crash
    nb::gil_scoped_acquire gil;
    delete static_cast<AnyArray*>(p);
  });
  return LabelVolume(*native, shape, data, std::move(owner));
}

nb::object array_from_volume(const LabelVolume& volume, Access access) {
  // No owner: the voxels are copied below, so the copy is the caller's alone.
  const bool writable =
      access == Access::kWritableIfUnshared && (!volume.owner() || volume.owner().use_count() == 1);
  LabelVolume view = volume;
  if (view.data() == nullptr || !view.owner()) {
    // Nothing keeps foreign memory alive (or there is none): hand out an owned copy.
    view = view.data() == nullptr ? LabelVolume(view.dtype(), view.shape_zyx()) : view.clone();
  }
  auto* keep = new std::shared_ptr<void>(view.owner());
  nb::capsule owner(keep, [](void* p) noexcept { delete static_cast<std::shared_ptr<void>*>(p); });
  nb::dlpack::dtype dt = nb::dtype<std::uint8_t>();
  switch (view.dtype()) {
    case DType::kBool:
      dt = nb::dtype<bool>();
      break;
    case DType::kUInt8:
      break;
    case DType::kUInt16:
      dt = nb::dtype<std::uint16_t>();
      break;
    case DType::kUInt32:
      dt = nb::dtype<std::uint32_t>();
      break;
  }
  const Shape3& s = view.shape_zyx();
  const std::size_t shape[3] = {static_cast<std::size_t>(s[0]), static_cast<std::size_t>(s[1]),
                                static_cast<std::size_t>(s[2])};
  if (writable) {
    nb::ndarray<nb::numpy> array(view.data(), 3, shape, owner, nullptr, dt);
    return nb::cast(array, nb::rv_policy::reference);
  }
  nb::ndarray<nb::numpy, nb::ro> array(view.data(), 3, shape, owner, nullptr, dt);
  return nb::cast(array, nb::rv_policy::reference);
}

nb::object array_from_doubles(const double* data, std::initializer_list<std::size_t> shape) {
  std::size_t count = 1;
  for (std::size_t extent : shape) count *= extent;
  auto* copy = new double[count > 0 ? count : 1];
  std::copy(data, data + count, copy);
  nb::capsule owner(copy, [](void* p) noexcept { delete[] static_cast<double*>(p); });
  nb::ndarray<nb::numpy, double> array(copy, shape, owner);
  return nb::cast(array, nb::rv_policy::reference);
}

namespace {

using DoubleArray = nb::ndarray<const double, nb::c_contig, nb::device::cpu>;

DoubleArray doubles_from(nb::handle obj, const char* what, std::size_t rows, std::size_t cols) {
  nb::object converted = numpy_call("ascontiguousarray", obj, "float64");
  DoubleArray a;
  const bool ok = nb::try_cast(converted, a, false);
  const bool shape_ok =
      ok && (rows == 0 ? a.ndim() == 1 && a.shape(0) == cols
                       : a.ndim() == 2 && a.shape(0) == rows && a.shape(1) == cols);
  if (!shape_ok) {
    const std::string expected =
        rows == 0 ? "(" + std::to_string(cols) + ",)"
                  : "(" + std::to_string(rows) + ", " + std::to_string(cols) + ")";
    throw ArgumentError(std::string(what) + ": expected shape " + expected +
                        (ok ? "; found " + shape_text(AnyArray(a)) : std::string()));
  }
  return a;
}

}  // namespace

Vec3 vec3_from(nb::handle obj, const char* what) {
  const DoubleArray a = doubles_from(obj, what, 0, 3);
  const double* d = a.data();
  return {d[0], d[1], d[2]};
}

Mat3 mat3_from(nb::handle obj, const char* what) {
  const DoubleArray a = doubles_from(obj, what, 3, 3);
  const double* d = a.data();
  Mat3 m{};
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) m[r][c] = d[r * 3 + c];
  }
  return m;
}

Affine4 affine_from(nb::handle obj, const char* what) {
  const DoubleArray a = doubles_from(obj, what, 4, 4);
  const double* d = a.data();
  Affine4 m{};
  for (std::size_t r = 0; r < 4; ++r) {
    for (std::size_t c = 0; c < 4; ++c) m[r][c] = d[r * 4 + c];
  }
  return m;
}

Shape3 shape3_from(nb::handle obj, const char* what) {
  Shape3 shape{};
  const auto fail = [&] {
    return ArgumentError(std::string(what) + ": expected 3 integers (x, y, z)");
  };
  if (!PySequence_Check(obj.ptr()) || nb::len(obj) != 3) throw fail();
  for (std::size_t i = 0; i < 3; ++i) {
    nb::object item = obj[i];
    // Only exact integers (int, numpy integers): a float extent is a caller mistake.
    if (PyFloat_Check(item.ptr()) || !PyIndex_Check(item.ptr())) throw fail();
    if (!nb::try_cast(item, shape[i], true)) throw fail();
  }
  return shape;
}

Space space_from(nb::handle obj, const char* what) {
  Space space;
  if (nb::try_cast(obj, space, false)) return space;
  const std::string type_name = nb::str(obj.type().attr("__name__")).c_str();
  if (nb::hasattr(obj, "affine") && nb::hasattr(obj, "dataobj")) {
    throw ArgumentError(std::string(what) + ": expected a medmask.Space, found a " + type_name +
                        " image; pass medmask.Space.from_nifti(image)");
  }
  static const char* const fields[] = {"shape",         "origin",        "spacing",
                                       "x_orientation", "y_orientation", "z_orientation"};
  for (const char* field : fields) {
    if (!nb::hasattr(obj, field)) {
      throw ArgumentError(std::string(what) +
                          ": expected a medmask.Space (or a spacetransformer.Space); found " +
                          type_name);
    }
  }
  Mat3 direction{};
  for (std::size_t c = 0; c < 3; ++c) {
    const Vec3 axis = vec3_from(obj.attr(fields[3 + c]), fields[3 + c]);
    for (std::size_t r = 0; r < 3; ++r) direction[r][c] = axis[r];
  }
  return Space(shape3_from(obj.attr("shape"), "shape"), vec3_from(obj.attr("origin"), "origin"),
               vec3_from(obj.attr("spacing"), "spacing"), direction)
      .reversed_axes();
}

namespace {
PyObject* axis_order_warning = nullptr;
}  // namespace

void bind_warnings(nb::module_& m) {
  axis_order_warning =
      PyErr_NewExceptionWithDoc("medmask._core.AxisOrderWarning",
                                "An array was placed on its Space by medmask 0.1.x's axis-order "
                                "rule (the Space's reversed order fits the array).",
                                PyExc_UserWarning, nullptr);
  if (axis_order_warning == nullptr) throw nb::python_error();
  m.attr("AxisOrderWarning") = nb::handle(axis_order_warning);
}

void warn_axis_order(const std::string& text) {
  if (PyErr_WarnEx(axis_order_warning, text.c_str(), 1) != 0) throw nb::python_error();
}

Space space_for_array_warned(const Space& space, const Shape3& array_zyx, ArrayAxisOrder rule,
                             const std::string& what) {
  std::string warning;
  Space out = space_for_array(space, array_zyx, rule, what, &warning);
  if (!warning.empty()) warn_axis_order(warning);
  return out;
}

WriteOptions write_options_from(const std::string& level) {
  const std::optional<CompressionLevel> known = compression_level_from_name(level);
  if (!known) {
    throw ArgumentError("level must be 'fast', 'default' or 'max'; found '" + level + "'");
  }
  WriteOptions options;
  options.level = *known;
  return options;
}

std::string path_string(const std::filesystem::path& path) { return path.string(); }

nb::object numpy_dtype(DType dtype) {
  return nb::module_::import_("numpy").attr("dtype")(
      nb::str(std::string(dtype_name(dtype)).c_str()));
}

std::vector<std::string> warning_texts(const Warnings& warnings) {
  std::vector<std::string> texts;
  texts.reserve(warnings.size());
  for (const Warning& warning : warnings) texts.push_back(warning.text);
  return texts;
}

}  // namespace medmask::python
