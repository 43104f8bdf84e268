// py_convert.hpp: conversions between Python objects (numpy arrays, sequences, paths) and the
// MedMask C++ types, shared by the binding files of medmask._core.
#pragma once

#include <nanobind/nanobind.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "medmask/medmask.hpp"

namespace medmask::python {

namespace nb = nanobind;

// One registration function per binding file, called in this order by module.cpp.
void bind_errors(nb::module_& m);
void bind_space(nb::module_& m);
void bind_mask(nb::module_& m);
void bind_archive(nb::module_& m);
void bind_nifti(nb::module_& m);
void bind_limits(nb::module_& m);
void bind_dicom_seg(nb::module_& m);

// A 3-D array-like in (z, y, x) order as a LabelVolume.
// Zero copy: a C-contiguous CPU array of dtype bool, uint8, uint16 or uint32 is borrowed; the
// volume keeps the Python object alive (and releases it under the GIL). Anything else (other
// integer dtypes, non-contiguous layouts, nested lists) is copied: supported dtypes keep their
// dtype, other integer dtypes take the smallest unsigned dtype holding their maximum.
// *read_only is set when the volume borrows a buffer that must not be written.
// Throws ArgumentError: not 3-D, not integer/bool, a value outside 0 .. 2^32-1, a bool byte > 1.
// Requires the GIL.
LabelVolume volume_from_array(nb::handle obj, const char* what, bool* read_only = nullptr);

// A numpy array viewing the voxels of volume, without copy; the array keeps the volume's owner
// alive, so it stays valid after the volume (or its mask) is gone. kReadOnly for voxels others
// may share (a mask's .data); kWritableIfUnshared for results made for the caller: writable when
// nothing but volume holds its memory (then the array becomes its only owner).
enum class Access { kReadOnly, kWritableIfUnshared };
nb::object array_from_volume(const LabelVolume& volume, Access access = Access::kReadOnly);

// A float64 numpy array (C order) holding a copy of count values of data.
nb::object array_from_doubles(const double* data, std::initializer_list<std::size_t> shape);

// numpy.asarray(obj, dtype=float64) viewed as doubles, checked to have shape rows x cols
// (rows == 0: a plain vector of cols values). Throws ArgumentError naming what.
Vec3 vec3_from(nb::handle obj, const char* what);
Mat3 mat3_from(nb::handle obj, const char* what);
Affine4 affine_from(nb::handle obj, const char* what);
Shape3 shape3_from(nb::handle obj, const char* what);

// Label tables (label_table.cpp). Python sees a table as a dict {name: value} in table order.
nb::dict mapping_from_table(const LabelTable& table);
// Throws ArgumentError for a non-dict, a non-str name or a value outside 1 .. 2^32-1 (and what
// LabelTable::add rejects: empty, duplicate or non-UTF-8 names, duplicate values).
LabelTable table_from_mapping(nb::handle mapping, const char* what);
// A label value from a Python int (1 .. 2^32-1 unless allow_zero). Throws ArgumentError.
std::uint32_t label_value_from(nb::handle value, const char* what, bool allow_zero = false);
// (r, g, b) with components 0..255, or None.
std::optional<Rgb> color_from(nb::handle color, const char* what);
nb::object color_to_python(const std::optional<Rgb>& color);

// One name (str) or an iterable of names, as a list. Throws ArgumentError for non-str items.
std::vector<std::string> names_from(nb::handle names, const char* what);

// medmask.SegmentationMask: the C++ mask, plus whether its voxels are borrowed from a read-only
// buffer (then add_label paints a private copy instead), and whether an empty mask from
// lazy_init may still take its Space's reversed axis order (medmask 0.1.x's rule,
// ArrayAxisOrder::kMedmask01, applied to the first add_label).
struct MaskHandle {
  SegmentationMask mask;
  bool borrowed_read_only = false;
  bool orientation_open = false;
  // Voxels no one else can change (read from a file): per-label bounding boxes may then be
  // cached, so that each get_binary_mask_by_names reads only its structure's box.
  bool voxels_private = false;
  std::shared_ptr<const std::map<std::uint32_t, LabelStats>> stats;
};

// A medmask.Space, or a Space-like object of medmask 0.1.x (spacetransformer.Space: attributes
// shape, origin, spacing, x/y/z_orientation). medmask 0.1.x used the latter in (z, y, x) order
// (its shape is the array's shape), so it is returned reversed: a Space in MedMask's (x, y, z)
// order. Throws ArgumentError (with a hint to Space.from_nifti for a nibabel image).
Space space_from(nb::handle obj, const char* what);

// The Python warning category of ArrayAxisOrder::kMedmask01 (medmask.AxisOrderWarning).
void bind_warnings(nb::module_& m);
// Issues text as a medmask.AxisOrderWarning. Requires the GIL; throws nb::python_error when
// warnings are turned into errors.
void warn_axis_order(const std::string& text);

// space_for_array (medmask/space.hpp) with its warning issued. Requires the GIL.
Space space_for_array_warned(const Space& space, const Shape3& array_zyx, ArrayAxisOrder rule,
                             const std::string& what);

// {value: {"voxels", "bbox_min_zyx", "bbox_max_zyx"}} (mask.cpp).
nb::dict stats_to_python(const std::map<std::uint32_t, LabelStats>& stats);

// WriteOptions for a level name: "fast", "default" or "max". Throws ArgumentError.
WriteOptions write_options_from(const std::string& level);

// A str or os.PathLike as a UTF-8 path string.
std::string path_string(const std::filesystem::path& path);

// Issues a medmask.MedMaskWarning (module.cpp); throws nb::python_error when a warnings filter
// turns it into an error.
void warn_medmask(const std::string& message);

// The texts of the library's warnings: Python callers get them as strings, as before kinds
// existed.
std::vector<std::string> warning_texts(const Warnings& warnings);

// The Python name of a dtype ("bool", "uint8", ...).
nb::object numpy_dtype(DType dtype);

}  // namespace medmask::python
