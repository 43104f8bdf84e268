// medmask.ReadLimits: the caps every reader checks before it allocates (medmask/limits.hpp).
#include <nanobind/nanobind.h>

#include <string>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

void bind_limits(nb::module_& m) {
  nb::class_<ReadLimits>(
      m, "ReadLimits",
      "Caps a reader checks before it allocates: a file declaring more raises "
      "medmask.LimitError. The defaults accept every valid file of the format; lower them for "
      "untrusted input (e.g. ReadLimits(max_voxels=10**8)), raise max_voxels for huge grids. "
      "Passed as limits= to MaskArchive, medmask.open and read_nifti.")
      .def(
          "__init__",
          [](ReadLimits* self, std::uint64_t max_voxels, std::uint64_t max_index_bytes,
             std::uint64_t max_entries, std::uint64_t max_labels, std::uint32_t max_json_depth,
             std::uint32_t max_group_depth, std::uint32_t max_name_bytes) {
            new (self) ReadLimits{max_voxels,     max_index_bytes, max_entries,   max_labels,
                                  max_json_depth, max_group_depth, max_name_bytes};
          },
          nb::kw_only(), nb::arg("max_voxels") = kDefaultReadLimits.max_voxels,
          nb::arg("max_index_bytes") = kDefaultReadLimits.max_index_bytes,
          nb::arg("max_entries") = kDefaultReadLimits.max_entries,
          nb::arg("max_labels") = kDefaultReadLimits.max_labels,
          nb::arg("max_json_depth") = kDefaultReadLimits.max_json_depth,
          nb::arg("max_group_depth") = kDefaultReadLimits.max_group_depth,
          nb::arg("max_name_bytes") = kDefaultReadLimits.max_name_bytes,
          "Every field is keyword-only and defaults to the library's default.")
      .def_rw("max_voxels", &ReadLimits::max_voxels, "Voxels of one grid (x * y * z).")
      .def_rw("max_index_bytes", &ReadLimits::max_index_bytes,
              "Bytes of metadata: the index JSON, headers.")
      .def_rw("max_entries", &ReadLimits::max_entries, "Entries (label maps) in one archive.")
      .def_rw("max_labels", &ReadLimits::max_labels, "Labels over all entries.")
      .def_rw("max_json_depth", &ReadLimits::max_json_depth,
              "Nesting of the index JSON (at most 1024 is honoured).")
      .def_rw("max_group_depth", &ReadLimits::max_group_depth, "Groups nested in groups.")
      .def_rw("max_name_bytes", &ReadLimits::max_name_bytes,
              "Bytes of a structure, group or entry name.")
      .def("__repr__", [](const ReadLimits& l) {
        return "ReadLimits(max_voxels=" + std::to_string(l.max_voxels) +
               ", max_labels=" + std::to_string(l.max_labels) + ", ...)";
      });
}

}  // namespace medmask::python
