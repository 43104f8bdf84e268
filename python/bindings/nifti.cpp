// read_nifti / write_nifti: NIfTI-1 label images through the C++ reader and writer.
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>

#include <string>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

void bind_nifti(nb::module_& m) {
  m.def(
      "read_nifti",
      [](const std::filesystem::path& path, const std::optional<ReadLimits>& limits) {
        const std::string p = path_string(path);
        NiftiImage image;
        {
          nb::gil_scoped_release release;
          image = read_nifti(p, {}, limits.value_or(kDefaultReadLimits));
        }
        return nb::make_tuple(array_from_volume(image.volume, Access::kWritableIfUnshared),
                              nb::cast(image.space));
      },
      nb::arg("path"), nb::arg("limits") = nb::none(),
      nb::sig("def read_nifti(path: str | os.PathLike[str], limits: ReadLimits | None = None) -> "
              "tuple[numpy.typing.NDArray[typing.Any], Space]"),
      "Reads a NIfTI-1 label image (.nii or .nii.gz) as (array, space): array is (z, y, x) C "
      "order (NIfTI's own voxel order, no copy) of the smallest unsigned dtype holding the "
      "values; space comes from the affine nibabel would use (sform, else qform, else pixdim), "
      "converted to LPS. Raises OSError, medmask.FormatError, medmask.UnsupportedError (4-D, "
      "complex or RGB data), medmask.LimitError (a grid beyond limits.max_voxels) and ValueError "
      "(negative or non-integer voxel values).");
  m.def(
      "write_nifti",
      [](const std::filesystem::path& path, nb::handle array, const Space& space) {
        const std::string p = path_string(path);
        const LabelVolume volume = volume_from_array(array, "array");
        nb::gil_scoped_release release;
        write_nifti(p, volume, space);
      },
      nb::arg("path"), nb::arg("array"), nb::arg("space"),
      nb::sig("def write_nifti(path: str | os.PathLike[str], array: numpy.typing.ArrayLike, "
              "space: Space) -> None"),
      "Writes a (z, y, x) label array as NIfTI-1 with sform and qform from space (bool is "
      "written as uint8; a .gz suffix gzips). Written atomically. Raises ValueError when the "
      "shape differs from space.shape_zyx, OSError when the file cannot be written.");
}

}  // namespace medmask::python
