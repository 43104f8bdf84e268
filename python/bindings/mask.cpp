// medmask.SegmentationMask: a label map (numpy (z, y, x)) with its names and its Space.
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
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

// "add_label 'b' (value 2) painted over 6 voxels of 'a' (value 1); ...".
std::string painted_over_message(const std::string& name, std::uint32_t value,
                                 const std::vector<LabelOverlap>& painted_over) {
  std::string parts;
  for (const LabelOverlap& o : painted_over) {
    if (!parts.empty()) parts += ", ";
    parts += std::to_string(o.voxels) + " voxels of " +
             (o.name.empty() ? "unnamed value " + std::to_string(o.value)
                             : "'" + o.name + "' (value " + std::to_string(o.value) + ")");
  }
  return "add_label '" + name + "' (value " + std::to_string(value) + ") painted over " + parts +
         "; the later label wins there, as in medmask 0.1.x (keep overlapping structures apart "
         "with MaskArchive.add)";
}

// The inclusive box holding every voxel of values (min > max when none is present).
std::pair<std::array<std::int64_t, 3>, std::array<std::int64_t, 3>> box_of(
    const std::map<std::uint32_t, LabelStats>& stats, const std::vector<std::uint32_t>& values) {
  std::array<std::int64_t, 3> lo{0, 0, 0};
  std::array<std::int64_t, 3> hi{-1, -1, -1};
  bool any = false;
  for (const std::uint32_t value : values) {
    const auto it = stats.find(value);
    if (it == stats.end() || it->second.voxels == 0) continue;
    for (std::size_t axis = 0; axis < 3; ++axis) {
      lo[axis] =
          any ? std::min(lo[axis], it->second.bbox_min_zyx[axis]) : it->second.bbox_min_zyx[axis];
      hi[axis] =
          any ? std::max(hi[axis], it->second.bbox_max_zyx[axis]) : it->second.bbox_max_zyx[axis];
    }
    any = true;
  }
  return {lo, hi};
}

// A 3-D numpy array laid out in Fortran order only (its transpose is C-contiguous).
bool is_fortran_only(nb::handle array) {
  if (!nb::hasattr(array, "flags") || !nb::hasattr(array, "ndim")) return false;
  if (nb::cast<int>(array.attr("ndim")) != 3) return false;
  nb::object flags = array.attr("flags");
  return nb::cast<bool>(flags.attr("f_contiguous")) && !nb::cast<bool>(flags.attr("c_contiguous"));
}

Mat3 identity() { return Mat3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}; }

// The Space of a new mask from the caller's argument (None: 1 mm voxels at the origin).
Space space_for(nb::handle space_arg, const Shape3& array_zyx) {
  if (space_arg.is_none()) {
    return Space({array_zyx[2], array_zyx[1], array_zyx[0]}, {0, 0, 0}, {1, 1, 1}, identity());
  }
  return space_for_array_warned(space_from(space_arg, "space"), array_zyx,
                                ArrayAxisOrder::kMedmask01, "SegmentationMask");
}

void save_mask(const SegmentationMask& mask, const std::string& path, const std::string& level) {
  const WriteOptions options = write_options_from(level);
  nb::gil_scoped_release release;
  MaskArchive archive(path, OpenMode::kWrite, mask.space(), options);
  archive.add_mask("mask", mask);
  archive.commit();
}

MaskHandle load_mask(const std::string& path) {
  SegmentationMask mask;
  {
    nb::gil_scoped_release release;
    if (is_medmask_v1_file(path)) {
      LegacyFile legacy = read_medmask_v1(path);
      if (legacy.entries.size() != 1) {
        throw ArgumentError(path + ": a medmask 0.1.x archive of " +
                            std::to_string(legacy.entries.size()) +
                            " masks, not one mask; open it with MaskArchive");
      }
      mask = std::move(legacy.entries.front().mask);
    } else {
      const MaskArchive archive(path, OpenMode::kRead);
      const std::vector<std::string> entries = archive.entry_names();
      if (entries.size() != 1) {
        throw ArgumentError(path + ": an archive of " + std::to_string(entries.size()) +
                            " entries, not one mask; open it with MaskArchive");
      }
      mask = archive.load_mask(entries.front());
    }
  }
  return MaskHandle{std::move(mask), false, false, true, nullptr};
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
          [](MaskHandle* self, nb::handle array, nb::handle mapping, nb::handle space_arg) {
            bool read_only = false;
            LabelVolume volume = volume_from_array(array, "mask_array", &read_only);
            LabelTable table = table_from_mapping(mapping, "mapping");
            const Space space = space_for(space_arg, volume.shape_zyx());
            new (self) MaskHandle{SegmentationMask(std::move(volume), std::move(table), space),
                                  read_only, false, false, nullptr};
          },
          nb::arg("mask_array"), nb::arg("mapping"), nb::arg("space") = nb::none(),
          nb::sig("def __init__(self, mask_array: numpy.typing.ArrayLike, "
                  "mapping: collections.abc.Mapping[str, int], "
                  "space: Space | typing.Any | None = None) -> None"),
          "Wraps a label array (z, y, x) with names {name: value} and its Space (default: 1 mm "
          "voxels at the origin). As in medmask 0.1.x, the Space may also be given in reversed "
          "(z, y, x) order (shape == array shape, e.g. from reverse_axis_order() or a "
          "spacetransformer.Space): the mask then keeps the equivalent (x, y, z) Space. Raises "
          "ValueError when the shape fits neither order, a value does not fit the dtype, or a "
          "name/value is invalid or repeated.")
      .def_static(
          "lazy_init",
          [](int bits, nb::handle space_arg, nb::handle shape) {
            Space space;
            bool open = false;
            if (!space_arg.is_none()) {
              space = space_from(space_arg, "space");
              open = space.shape_xyz() != space.shape_zyx();
            } else if (!shape.is_none()) {
              // medmask 0.1.x: shape is the array's (z, y, x) shape.
              const Shape3 zyx = shape3_from(shape, "shape");
              space = Space({zyx[2], zyx[1], zyx[0]}, {0, 0, 0}, {1, 1, 1}, identity());
            } else {
              throw ArgumentError("lazy_init: either space or shape must be given");
            }
            return MaskHandle{SegmentationMask::lazy_init(bits, space), false, open, false,
                              nullptr};
          },
          nb::arg("bit_depth"), nb::arg("space") = nb::none(), nb::kw_only(),
          nb::arg("shape") = nb::none(),
          nb::sig("def lazy_init(bit_depth: int, space: Space | typing.Any | None = None, *, "
                  "shape: collections.abc.Sequence[int] | None = None) -> SegmentationMask"),
          "An all-zero mask to fill with add_label. bit_depth: 1 (bool), 8, 16 or 32; space, or "
          "else shape (z, y, x) for 1 mm voxels at the origin. If the first add_label gets an "
          "array shaped like the Space's reversed order (medmask 0.1.x's (z, y, x) spaces), the "
          "still empty mask takes that order.")
      .def(
          "add_label",
          [](MaskHandle& self, nb::handle mask, nb::handle label, const std::string& name) {
            // A Fortran-order array (nibabel's) is read through its transpose, a C-order view of
            // the same memory, as an (x, y, z) binary: no transposing copy.
            const BinaryAxes axes = is_fortran_only(mask) ? BinaryAxes::kXyz : BinaryAxes::kZyx;
            const LabelVolume binary =
                volume_from_array(axes == BinaryAxes::kXyz ? mask.attr("T") : mask, "mask");
            const std::uint32_t value = label_value_from(label, "label");
            Shape3 array_zyx = binary.shape_zyx();
            if (axes == BinaryAxes::kXyz) std::swap(array_zyx[0], array_zyx[2]);
            if (self.orientation_open) {
              const Space& space = self.mask.space();
              const Space oriented = space_for_array_warned(
                  space, array_zyx, ArrayAxisOrder::kMedmask01, "add_label '" + name + "'");
              if (!(oriented == space)) {
                self.mask =
                    SegmentationMask::lazy_init(bit_depth(self.mask.volume().dtype()), oriented);
              }
            }
            // medmask 0.1.x semantics: the later label wins where labels meet, with a warning.
            constexpr OverlapPolicy kPolicy = OverlapPolicy::kOverwrite;
            std::vector<LabelOverlap> painted_over;
            {
              nb::gil_scoped_release release;
              if (self.borrowed_read_only) {
                const SegmentationMask& old = self.mask;
                SegmentationMask copy(old.volume().clone(), old.labels(), old.space());
                painted_over = copy.add_label(binary, value, name, kPolicy, axes);
                self.mask = std::move(copy);
                self.borrowed_read_only = false;
              } else {
                painted_over = self.mask.add_label(binary, value, name, kPolicy, axes);
              }
            }
            self.orientation_open = false;
            self.stats.reset();  // the boxes changed
            if (!painted_over.empty())
              warn_medmask(painted_over_message(name, value, painted_over));
          },
          nb::arg("mask"), nb::arg("label"), nb::arg("name"),
          nb::sig("def add_label(self, mask: numpy.typing.ArrayLike, label: int, name: str) "
                  "-> None"),
          "Paints mask (non-zero = inside, same shape) with value label under name. Where earlier "
          "labels already cover a voxel the new label wins (as in medmask 0.1.x) and a "
          "medmask.MedMaskWarning names both structures and the voxel count. Raises ValueError "
          "on a shape mismatch, a repeated name or value or a value beyond the dtype; on error "
          "the mask is unchanged.")
      .def(
          "save",
          [](const MaskHandle& self, const std::filesystem::path& path, const std::string& level) {
            save_mask(self.mask, path_string(path), level);
          },
          nb::arg("path"), nb::arg("level") = "default",
          nb::sig("def save(self, path: str | os.PathLike[str], level: str = 'default') -> None"),
          "Writes the mask to path as a one-entry .mska archive (whatever the suffix, .msk "
          "included), atomically. level: 'fast', 'default' or 'max'.")
      .def_static(
          "load", [](const std::filesystem::path& path) { return load_mask(path_string(path)); },
          nb::arg("path"), nb::sig("def load(path: str | os.PathLike[str]) -> SegmentationMask"),
          "Reads a mask written by save() or save_mask(), a one-entry archive, or a .msk file of "
          "medmask 0.1.x. Raises OSError, medmask.FormatError, ValueError (an archive holding "
          "several entries: open it with MaskArchive).")
      .def(
          "get_binary_mask_by_names",
          [](MaskHandle& self, nb::handle names) {
            const std::vector<std::string> list = names_from(names, "names");
            LabelVolume out;
            if (self.voxels_private) {
              std::vector<std::uint32_t> values;
              for (const std::string& name : list)
                values.push_back(self.mask.labels().at(name).value);
              auto stats = self.stats;
              {
                nb::gil_scoped_release release;
                if (!stats) {
                  stats = std::make_shared<const std::map<std::uint32_t, LabelStats>>(
                      self.mask.label_stats());
                }
                const auto [lo, hi] = box_of(*stats, values);
                out = self.mask.binary_mask_by_values(values, lo, hi);
              }
              self.stats = std::move(stats);
            } else {
              nb::gil_scoped_release release;
              out = self.mask.binary_mask_by_names(list);
            }
            return array_from_volume(out, Access::kWritableIfUnshared);
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
            return array_from_volume(out, Access::kWritableIfUnshared);
          },
          nb::arg("labels"),
          nb::sig(
              "def get_binary_mask_by_labels(self, labels: int | collections.abc.Iterable[int]) "
              "-> numpy.typing.NDArray[numpy.bool_]"),
          "Union of the given label values as a new bool array (z, y, x); values need not be "
          "named.")
      .def(
          "get_mask_by_names",
          [](nb::handle self, nb::handle names) {
            return self.attr("get_binary_mask_by_names")(names);
          },
          nb::arg("names"),
          nb::sig("def get_mask_by_names(self, names: str | collections.abc.Iterable[str]) "
                  "-> numpy.typing.NDArray[numpy.bool_]"),
          "The same as get_binary_mask_by_names (the spelling of medmask's first notebook).")
      .def(
          "get_all_masks", [](nb::handle self) { return self.attr("data"); },
          nb::sig("def get_all_masks(self) -> numpy.typing.NDArray[typing.Any]"),
          "The whole label map, the same as .data (the spelling of medmask's first notebook).")
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

  m.def(
      "save_mask",
      [](const MaskHandle& mask, const std::filesystem::path& path, const std::string& level) {
        save_mask(mask.mask, path_string(path), level);
      },
      nb::arg("segmask"), nb::arg("path"), nb::arg("level") = "default",
      nb::sig("def save_mask(segmask: SegmentationMask, path: str | os.PathLike[str], "
              "level: str = 'default') -> None"),
      "Writes segmask to path (same as segmask.save(path)): a one-entry .mska archive.");
  m.def(
      "load_mask", [](const std::filesystem::path& path) { return load_mask(path_string(path)); },
      nb::arg("path"), nb::sig("def load_mask(path: str | os.PathLike[str]) -> SegmentationMask"),
      "Reads one mask (same as SegmentationMask.load(path)); also reads medmask 0.1.x .msk "
      "files.");
}

}  // namespace medmask::python
