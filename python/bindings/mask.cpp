// medmask.SegmentationMask: a label map (numpy (z, y, x)) with its names and its Space.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <string>
#include <vector>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

namespace {

std::vector<std::uint32_t> values_from(nb::handle labels) {
  std::vector<std::uint32_t> values;
  if (PyIndex_Check(labels.ptr())) {
    values.push_back(label_value_from(labels, "labels", true));
    return values;
  }
  nb::object iterator = nb::steal(PyObject_GetIter(labels.ptr()));
  if (!iterator.is_valid()) {
    PyErr_Clear();
    throw ArgumentError("labels: expected an int or a list of int");
  }
  for (nb::handle item : labels) values.push_back(label_value_from(item, "labels", true));
  return values;
}

nb::tuple tuple3(const std::array<std::int64_t, 3>& v) { return nb::make_tuple(v[0], v[1], v[2]); }

int bit_depth(DType dtype) {
  switch (dtype) {
    case DType::kBool:
      return 1;
    case DType::kUInt8:
      return 8;
    case DType::kUInt16:
      return 16;
    case DType::kUInt32:
      return 32;
  }
  return 0;
}

}  // namespace

nb::dict stats_to_python(const std::map<std::uint32_t, LabelStats>& stats) {
  nb::dict out;
  for (const auto& [value, s] : stats) {
    nb::dict entry;
    entry["voxels"] = s.voxels;
    entry["bbox_min_zyx"] = tuple3(s.bbox_min_zyx);
    entry["bbox_max_zyx"] = tuple3(s.bbox_max_zyx);
    out[nb::int_(value)] = entry;
  }
  return out;
}

void bind_mask(nb::module_& m) {
  nb::class_<MaskHandle>(
      m, "SegmentationMask",
      "A label map with its names and its geometry.\n\n"
      "The array is numpy (z, y, x), C order, of dtype bool, uint8, uint16 or uint32; each "
      "non-zero value is one structure (structures of one mask are mutually exclusive).\n\n"
      "Memory: a C-contiguous array of a supported dtype is used in place, without a copy (like "
      "numpy.asarray): the mask and its .data share memory with the array you pass, so later "
      "changes to that array are visible, and add_label paints into it (pass arr.copy() to keep "
      "yours unchanged; a read-only array is copied before painting). Other integer dtypes and "
      "layouts are copied after checking that every value is in 0 .. 2**32-1; other integer "
      "dtypes become the smallest unsigned dtype holding their maximum.")
      .def(
          "__init__",
          [](MaskHandle* self, nb::handle array, nb::handle mapping, const Space& space) {
            bool read_only = false;
            LabelVolume volume = volume_from_array(array, "array", &read_only);
            LabelTable table = table_from_mapping(mapping, "mapping");
            new (self)
                MaskHandle{SegmentationMask(std::move(volume), std::move(table), space), read_only};
          },
          nb::arg("array"), nb::arg("mapping"), nb::arg("space"),
          nb::sig("def __init__(self, array: numpy.typing.ArrayLike, "
                  "mapping: collections.abc.Mapping[str, int], space: Space) -> None"),
          "Wraps a label array (z, y, x) with names {name: value} and its Space. Raises "
          "ValueError when the shape differs from space.shape_zyx, a value does not fit the "
          "dtype, or a name/value is invalid or repeated.")
      .def_static(
          "lazy_init",
          [](int bits, const Space& space) {
            return MaskHandle{SegmentationMask::lazy_init(bits, space), false};
          },
          nb::arg("bit_depth"), nb::arg("space"),
          "An all-zero mask on space to fill with add_label. bit_depth: 1 (bool), 8, 16 or 32.")
      .def(
          "add_label",
          [](MaskHandle& self, nb::handle mask, nb::handle label, const std::string& name) {
            const LabelVolume binary = volume_from_array(mask, "mask");
            const std::uint32_t value = label_value_from(label, "label");
            nb::gil_scoped_release release;
            if (self.borrowed_read_only) {
              const SegmentationMask& old = self.mask;
              SegmentationMask copy(old.volume().clone(), old.labels(), old.space());
              copy.add_label(binary, value, name);
              self.mask = std::move(copy);
              self.borrowed_read_only = false;
            } else {
              self.mask.add_label(binary, value, name);
            }
          },
          nb::arg("mask"), nb::arg("label"), nb::arg("name"),
          nb::sig("def add_label(self, mask: numpy.typing.ArrayLike, label: int, name: str) "
                  "-> None"),
          "Paints mask (non-zero = inside, same shape) with value label under name. Raises "
          "ValueError on a shape mismatch, a repeated name or value, a value beyond the dtype, "
          "or overlap with an existing structure; on error the mask is unchanged.")
      .def(
          "get_binary_mask_by_names",
          [](const MaskHandle& self, nb::handle names) {
            const std::vector<std::string> list = names_from(names, "names");
            LabelVolume out;
            {
              nb::gil_scoped_release release;
              out = self.mask.binary_mask_by_names(list);
            }
            return array_from_volume(out);
          },
          nb::arg("names"),
          nb::sig("def get_binary_mask_by_names(self, names: str | collections.abc.Iterable[str]) "
                  "-> numpy.typing.NDArray[numpy.bool_]"),
          "Union of the named structures as a new bool array (z, y, x). Raises KeyError for an "
          "unknown name.")
      .def(
          "get_binary_mask_by_labels",
          [](const MaskHandle& self, nb::handle labels) {
            const std::vector<std::uint32_t> values = values_from(labels);
            LabelVolume out;
            {
              nb::gil_scoped_release release;
              out = self.mask.binary_mask_by_values(values);
            }
            return array_from_volume(out);
          },
          nb::arg("labels"),
          nb::sig(
              "def get_binary_mask_by_labels(self, labels: int | collections.abc.Iterable[int]) "
              "-> numpy.typing.NDArray[numpy.bool_]"),
          "Union of the given label values as a new bool array (z, y, x); values need not be "
          "named.")
      .def(
          "label_stats",
          [](const MaskHandle& self) {
            std::map<std::uint32_t, LabelStats> stats;
            {
              nb::gil_scoped_release release;
              stats = self.mask.label_stats();
            }
            return stats_to_python(stats);
          },
          nb::sig("def label_stats(self) -> dict[int, dict[str, typing.Any]]"),
          "{value: {'voxels': int, 'bbox_min_zyx': (z, y, x), 'bbox_max_zyx': (z, y, x)}} for "
          "every non-zero value present (bounding boxes inclusive).")
      .def_prop_ro(
          "data", [](const MaskHandle& self) { return array_from_volume(self.mask.volume()); },
          nb::sig("def data(self) -> numpy.typing.NDArray[typing.Any]"),
          "The label array (z, y, x) without copy, read-only (edit through add_label, or copy it "
          "and build a new mask). It stays valid after the mask is gone; arrays taken before an "
          "add_label see the painted labels unless the mask had to copy a read-only source.")
      .def_prop_ro(
          "mapping", [](const MaskHandle& self) { return mapping_from_table(self.mask.labels()); },
          nb::sig("def mapping(self) -> dict[str, int]"),
          "{name: value} of the named structures, in the order they were added.")
      .def_prop_ro(
          "space", [](const MaskHandle& self) { return self.mask.space(); },
          "The Space of the grid (a copy).")
      .def_prop_ro(
          "dtype", [](const MaskHandle& self) { return numpy_dtype(self.mask.volume().dtype()); },
          nb::sig("def dtype(self) -> numpy.dtype[typing.Any]"), "numpy dtype of .data.")
      .def_prop_ro(
          "bit_depth", [](const MaskHandle& self) { return bit_depth(self.mask.volume().dtype()); },
          "1 (bool), 8, 16 or 32.")
      .def(
          "__repr__",
          [](const MaskHandle& self) {
            const Shape3& s = self.mask.volume().shape_zyx();
            return "SegmentationMask(shape_zyx=(" + std::to_string(s[0]) + ", " +
                   std::to_string(s[1]) + ", " + std::to_string(s[2]) +
                   "), dtype=" + std::string(dtype_name(self.mask.volume().dtype())) + ", " +
                   std::to_string(self.mask.labels().size()) + " labels)";
          },
          "Short description: shape, dtype and number of labels.");
}

}  // namespace medmask::python
