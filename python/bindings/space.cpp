// medmask.Space: the geometry of a voxel grid in DICOM LPS millimetres.
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/string.h>

#include <cstddef>
#include <functional>
#include <vector>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

namespace {

nb::tuple tuple3(const Vec3& v) { return nb::make_tuple(v[0], v[1], v[2]); }
nb::tuple tuple3(const Shape3& v) { return nb::make_tuple(v[0], v[1], v[2]); }

nb::object matrix_array(const Mat3& m) {
  double flat[9];
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) flat[r * 3 + c] = m[r][c];
  }
  return array_from_doubles(flat, {3, 3});
}

nb::object affine_array(const Affine4& m) {
  double flat[16];
  for (std::size_t r = 0; r < 4; ++r) {
    for (std::size_t c = 0; c < 4; ++c) flat[r * 4 + c] = m[r][c];
  }
  return array_from_doubles(flat, {4, 4});
}

Mat3 identity() { return Mat3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}; }

// The direction matrix from either direction or the original API's three axis vectors (columns);
// missing axis vectors keep the identity's.
Mat3 direction_from(nb::handle direction, nb::handle x_axis, nb::handle y_axis, nb::handle z_axis) {
  const bool axes_given = !x_axis.is_none() || !y_axis.is_none() || !z_axis.is_none();
  if (!direction.is_none()) {
    if (axes_given) {
      throw ArgumentError("Space: give either direction or x/y/z_orientation, not both");
    }
    return mat3_from(direction, "direction");
  }
  Mat3 m = identity();
  const nb::handle axes[3] = {x_axis, y_axis, z_axis};
  const char* names[3] = {"x_orientation", "y_orientation", "z_orientation"};
  for (std::size_t c = 0; c < 3; ++c) {
    if (axes[c].is_none()) continue;
    const Vec3 v = vec3_from(axes[c], names[c]);
    for (std::size_t r = 0; r < 3; ++r) m[r][c] = v[r];
  }
  return m;
}

Space make_space(nb::handle shape, nb::handle origin, nb::handle spacing, nb::handle direction) {
  return Space(shape3_from(shape, "shape"), vec3_from(origin, "origin"),
               vec3_from(spacing, "spacing"),
               direction.is_none() ? identity() : mat3_from(direction, "direction"));
}

nb::tuple column(const Mat3& m, std::size_t c) { return nb::make_tuple(m[0][c], m[1][c], m[2][c]); }

// Applies fn to one point (shape (3,)) or to every row of an (N, 3) array.
nb::object map_points(nb::handle points, const char* what, Vec3 (*fn)(const Space&, const Vec3&),
                      const Space& space) {
  nb::object converted =
      nb::module_::import_("numpy").attr("ascontiguousarray")(points, nb::str("float64"));
  nb::ndarray<const double, nb::c_contig, nb::device::cpu> a;
  const bool ok = nb::try_cast(converted, a, false);
  const double* d = ok ? a.data() : nullptr;
  if (ok && a.ndim() == 1 && a.shape(0) == 3) {
    const Vec3 out = fn(space, {d[0], d[1], d[2]});
    return array_from_doubles(out.data(), {3});
  }
  if (!ok || a.ndim() != 2 || a.shape(1) != 3) {
    throw ArgumentError(std::string(what) + ": expected shape (3,) or (N, 3)");
  }
  const std::size_t n = a.shape(0);
  std::vector<double> out(n * 3);
  for (std::size_t i = 0; i < n; ++i) {
    const Vec3 p = fn(space, {d[i * 3], d[i * 3 + 1], d[i * 3 + 2]});
    std::copy(p.begin(), p.end(), out.begin() + static_cast<std::ptrdiff_t>(i * 3));
  }
  return array_from_doubles(out.data(), {n, 3});
}

std::size_t space_hash(const Space& s) {
  std::size_t h = 0;
  const auto mix = [&h](auto v) {
    h ^= std::hash<decltype(v)>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  };
  for (auto v : s.shape_xyz()) mix(v);
  for (auto v : s.origin_lps()) mix(v);
  for (auto v : s.spacing_mm()) mix(v);
  for (const auto& row : s.direction()) {
    for (auto v : row) mix(v);
  }
  return h;
}

}  // namespace

void bind_space(nb::module_& m) {
  nb::class_<Space>(m, "Space",
                    "The geometry of a voxel grid in DICOM LPS millimetres.\n\n"
                    "shape, origin and spacing are in (x, y, z) = (i, j, k) order; arrays holding "
                    "voxels are (z, y, x). origin is the centre of voxel (0, 0, 0) and\n"
                    "lps = origin + direction @ diag(spacing) @ (i, j, k). direction holds the "
                    "unit axis directions as its columns; handedness and obliquity are kept.")
      .def(
          "__init__",
          [](Space* self, nb::handle shape, nb::handle origin, nb::handle spacing,
             nb::handle x_orientation, nb::handle y_orientation, nb::handle z_orientation,
             nb::handle direction) {
            new (self)
                Space(shape3_from(shape, "shape"), vec3_from(origin, "origin"),
                      vec3_from(spacing, "spacing"),
                      direction_from(direction, x_orientation, y_orientation, z_orientation));
          },
          nb::arg("shape"), nb::arg("origin") = nb::make_tuple(0.0, 0.0, 0.0),
          nb::arg("spacing") = nb::make_tuple(1.0, 1.0, 1.0), nb::arg("x_orientation") = nb::none(),
          nb::arg("y_orientation") = nb::none(), nb::arg("z_orientation") = nb::none(),
          nb::kw_only(), nb::arg("direction") = nb::none(),
          nb::sig("def __init__(self, shape: collections.abc.Sequence[int], "
                  "origin: numpy.typing.ArrayLike = (0.0, 0.0, 0.0), "
                  "spacing: numpy.typing.ArrayLike = (1.0, 1.0, 1.0), "
                  "x_orientation: numpy.typing.ArrayLike | None = None, "
                  "y_orientation: numpy.typing.ArrayLike | None = None, "
                  "z_orientation: numpy.typing.ArrayLike | None = None, *, "
                  "direction: numpy.typing.ArrayLike | None = None) -> None"),
          "Creates a Space; the arguments are those of medmask 0.1.x (spacetransformer's Space). "
          "shape: 3 extents >= 1 (x, y, z); origin: LPS mm of the centre of voxel (0, 0, 0); "
          "spacing: mm > 0 (x, y, z); x/y/z_orientation: LPS unit directions of the i, j, k "
          "axes (default the identity's); direction: alternatively the 3x3 matrix with those "
          "directions as columns. Raises ValueError for bad values.")
      .def_static(
          "from_affine_ras",
          [](nb::handle affine, nb::handle shape) {
            return Space::from_affine_ras(affine_from(affine, "affine"),
                                          shape3_from(shape, "shape"));
          },
          nb::arg("affine"), nb::arg("shape"),
          nb::sig("def from_affine_ras(affine: numpy.typing.ArrayLike, "
                  "shape: collections.abc.Sequence[int]) -> Space"),
          "Space from a 4x4 voxel-to-RAS affine (a NIfTI sform, nibabel's img.affine) and the "
          "(x, y, z) shape. Raises ValueError for a sheared, singular or non-finite affine.")
      .def_static(
          "from_affine_lps",
          [](nb::handle affine, nb::handle shape) {
            return Space::from_affine_lps(affine_from(affine, "affine"),
                                          shape3_from(shape, "shape"));
          },
          nb::arg("affine"), nb::arg("shape"),
          nb::sig("def from_affine_lps(affine: numpy.typing.ArrayLike, "
                  "shape: collections.abc.Sequence[int]) -> Space"),
          "Space from a 4x4 voxel-to-LPS affine (ITK/DICOM convention) and the (x, y, z) shape.")
      .def_static(
          "from_nifti",
          [](nb::handle image_or_path) {
            if (PyUnicode_Check(image_or_path.ptr()) || nb::hasattr(image_or_path, "__fspath__")) {
              const std::string p = path_string(nb::cast<std::filesystem::path>(image_or_path));
              nb::gil_scoped_release release;
              return read_nifti(p).space;
            }
            if (!nb::hasattr(image_or_path, "affine") || !nb::hasattr(image_or_path, "shape")) {
              throw ArgumentError(
                  "from_nifti: expected a path or a nibabel image (with .affine and .shape)");
            }
            // nibabel's own choice of affine (sform, else qform, else pixdim), as read_nifti.
            nb::object shape = image_or_path.attr("shape");
            if (nb::len(shape) < 3) throw ArgumentError("from_nifti: the image is not 3-D");
            return Space::from_affine_ras(affine_from(image_or_path.attr("affine"), "affine"),
                                          shape3_from(shape[nb::slice(0, 3, 1)], "shape"));
          },
          nb::arg("image_or_path"),
          nb::sig("def from_nifti(image_or_path: str | os.PathLike[str] | typing.Any) -> Space"),
          "The Space of a NIfTI-1 image: a path (.nii or .nii.gz, read by MedMask's reader) or a "
          "loaded nibabel image (its .affine and .shape). The affine is the one nibabel uses "
          "(sform, else qform, else pixdim), converted to LPS. Raises OSError, "
          "medmask.FormatError, medmask.UnsupportedError, ValueError.")
      .def(
          "to_nifti_affine", [](const Space& s) { return affine_array(s.to_affine_ras()); },
          nb::sig("def to_nifti_affine(self) -> numpy.typing.NDArray[numpy.float64]"),
          "The 4x4 voxel-to-RAS affine for nibabel.Nifti1Image (same as to_affine_ras; the name "
          "of medmask 0.1.x).")
      .def("reverse_axis_order", &Space::reversed_axes,
           "The same grid with its axes in reverse order (k, j, i): shape, spacing and the axis "
           "directions reversed, origin unchanged. An array indexed [i, j, k] on this Space (as "
           "nibabel returns them) is a (z, y, x) array on the reversed one.")
      .def(
          "to_affine_ras", [](const Space& s) { return affine_array(s.to_affine_ras()); },
          nb::sig("def to_affine_ras(self) -> numpy.typing.NDArray[numpy.float64]"),
          "The 4x4 voxel-to-RAS affine (what NIfTI's sform and nibabel's img.affine hold).")
      .def(
          "to_affine_lps", [](const Space& s) { return affine_array(s.to_affine_lps()); },
          nb::sig("def to_affine_lps(self) -> numpy.typing.NDArray[numpy.float64]"),
          "The 4x4 voxel-to-LPS affine.")
      .def(
          "ijk_to_lps",
          [](const Space& s, nb::handle points) {
            return map_points(
                points, "points", [](const Space& sp, const Vec3& p) { return sp.ijk_to_lps(p); },
                s);
          },
          nb::arg("points"),
          nb::sig("def ijk_to_lps(self, points: numpy.typing.ArrayLike) -> "
                  "numpy.typing.NDArray[numpy.float64]"),
          "Voxel indices (i, j, k) = (x, y, z), shape (3,) or (N, 3), to LPS mm (same shape).")
      .def(
          "lps_to_ijk",
          [](const Space& s, nb::handle points) {
            return map_points(
                points, "points", [](const Space& sp, const Vec3& p) { return sp.lps_to_ijk(p); },
                s);
          },
          nb::arg("points"),
          nb::sig("def lps_to_ijk(self, points: numpy.typing.ArrayLike) -> "
                  "numpy.typing.NDArray[numpy.float64]"),
          "LPS mm, shape (3,) or (N, 3), to continuous voxel indices (i, j, k) (same shape).")
      .def_prop_ro(
          "shape", [](const Space& s) { return tuple3(s.shape_xyz()); },
          nb::sig("def shape(self) -> tuple[int, int, int]"), "Grid extents (x, y, z).")
      .def_prop_ro(
          "shape_zyx", [](const Space& s) { return tuple3(s.shape_zyx()); },
          nb::sig("def shape_zyx(self) -> tuple[int, int, int]"),
          "Grid extents (z, y, x): the shape of the numpy arrays on this grid.")
      .def_prop_ro(
          "origin", [](const Space& s) { return tuple3(s.origin_lps()); },
          nb::sig("def origin(self) -> tuple[float, float, float]"),
          "LPS mm of the centre of voxel (0, 0, 0).")
      .def_prop_ro(
          "spacing", [](const Space& s) { return tuple3(s.spacing_mm()); },
          nb::sig("def spacing(self) -> tuple[float, float, float]"),
          "Voxel size in mm along (x, y, z).")
      .def_prop_ro(
          "direction", [](const Space& s) { return matrix_array(s.direction()); },
          nb::sig("def direction(self) -> numpy.typing.NDArray[numpy.float64]"),
          "3x3 matrix whose columns are the LPS unit directions of the i, j, k axes (a copy).")
      .def_prop_ro(
          "x_orientation", [](const Space& s) { return column(s.direction(), 0); },
          nb::sig("def x_orientation(self) -> tuple[float, float, float]"),
          "LPS unit direction of the i (x) axis: column 0 of direction.")
      .def_prop_ro(
          "y_orientation", [](const Space& s) { return column(s.direction(), 1); },
          nb::sig("def y_orientation(self) -> tuple[float, float, float]"),
          "LPS unit direction of the j (y) axis: column 1 of direction.")
      .def_prop_ro(
          "z_orientation", [](const Space& s) { return column(s.direction(), 2); },
          nb::sig("def z_orientation(self) -> tuple[float, float, float]"),
          "LPS unit direction of the k (z) axis: column 2 of direction.")
      .def_prop_ro("voxel_volume_mm3", &Space::voxel_volume_mm3, "Volume of one voxel in mm^3.")
      .def_prop_ro("voxel_count", &Space::voxel_count, "Number of voxels of the grid.")
      .def_prop_ro("handedness", &Space::handedness,
                   "+1.0 or -1.0: the handedness of the voxel axes in LPS.")
      .def("is_close", &Space::is_close, nb::arg("other"), nb::arg("tolerance_mm") = 1e-4,
           "True when shapes match and every corner voxel maps within tolerance_mm of the "
           "other's.")
      .def(
          "__eq__",
          [](const Space& a, nb::handle b) {
            Space other;
            return nb::try_cast(b, other, false) && a == other;
          },
          nb::sig("def __eq__(self, other: object) -> bool"),
          "Exact equality of shape, origin, spacing and direction (see is_close for a tolerance).")
      .def("__hash__", &space_hash, "Hash consistent with ==.")
      .def("__repr__", &Space::to_string, "Readable description of the grid.")
      .def(
          "__getstate__",
          [](const Space& s) {
            const Mat3& d = s.direction();
            return nb::make_tuple(tuple3(s.shape_xyz()), tuple3(s.origin_lps()),
                                  tuple3(s.spacing_mm()),
                                  nb::make_tuple(tuple3(d[0]), tuple3(d[1]), tuple3(d[2])));
          },
          "Pickle support.")
      .def(
          "__setstate__",
          [](Space& self, nb::tuple state) {
            if (nb::len(state) != 4) throw ArgumentError("Space state: expected 4 items");
            new (&self) Space(make_space(state[0], state[1], state[2], state[3]));
          },
          "Pickle support.");
}

}  // namespace medmask::python
