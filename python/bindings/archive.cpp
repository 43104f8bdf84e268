// medmask.MaskArchive: one .mska file holding the structures of one case.
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

namespace {

// The archive plus what Python needs around it: close() ends it early, and a lock keeps
// mutating calls (which run without the GIL) from racing with any other call.
// Lock order: the GIL is released before the lock is taken, never the other way round.
struct ArchiveHandle {
  std::optional<MaskArchive> archive;
  std::string path;
  mutable std::shared_mutex lock;

  const MaskArchive& get() const {
    if (!archive) throw ArgumentError(path + ": the archive is closed");
    return *archive;
  }
  MaskArchive& get() {
    if (!archive) throw ArgumentError(path + ": the archive is closed");
    return *archive;
  }
};

OpenMode mode_from(const std::string& mode) {
  if (mode == "r") return OpenMode::kRead;
  if (mode == "w") return OpenMode::kWrite;
  if (mode == "a") return OpenMode::kAppend;
  throw ArgumentError("mode must be 'r', 'w' or 'a'; found '" + mode + "'");
}

WriteOptions options_from(const std::string& level) {
  WriteOptions options;
  if (level == "fast") {
    options.level = CompressionLevel::kFast;
  } else if (level == "max") {
    options.level = CompressionLevel::kMax;
  } else if (level != "default") {
    throw ArgumentError("level must be 'fast', 'default' or 'max'; found '" + level + "'");
  }
  return options;
}

const char* mode_name(OpenMode mode) {
  switch (mode) {
    case OpenMode::kRead:
      return "r";
    case OpenMode::kWrite:
      return "w";
    case OpenMode::kAppend:
      return "a";
  }
  return "?";
}

nb::dict structure_to_python(const StructureInfo& s) {
  nb::dict d;
  d["name"] = s.name;
  d["value"] = s.value;
  d["entry"] = s.entry;
  d["voxels"] = s.stats.voxels;
  d["volume_mm3"] = s.volume_mm3;
  const auto& lo = s.stats.bbox_min_zyx;
  const auto& hi = s.stats.bbox_max_zyx;
  d["bbox"] =
      nb::make_tuple(nb::make_tuple(lo[0], lo[1], lo[2]), nb::make_tuple(hi[0], hi[1], hi[2]));
  d["color"] = color_to_python(s.label.color);
  d["description"] = s.label.description;
  return d;
}

// Reads under a shared lock without the GIL.
template <class Fn>
auto read_locked(const ArchiveHandle& h, Fn&& fn) {
  nb::gil_scoped_release release;
  std::shared_lock guard(h.lock);
  return fn(h.get());
}

template <class Fn>
auto write_locked(ArchiveHandle& h, Fn&& fn) {
  nb::gil_scoped_release release;
  std::unique_lock guard(h.lock);
  return fn(h.get());
}

void close(ArchiveHandle& h) {
  nb::gil_scoped_release release;
  std::unique_lock guard(h.lock);
  if (!h.archive) return;
  // commit() first so that its errors reach the caller (the destructor swallows them).
  h.archive->commit();
  h.archive.reset();
}

}  // namespace

void bind_archive(nb::module_& m) {
  nb::class_<ArchiveHandle>(
      m, "MaskArchive",
      "One .mska file holding the structures of one case, on one Space.\n\n"
      "Read structures by name (archive['liver'], archive.get([...])) without knowing how they "
      "are stored. Write them one by one with add() (overlaps are kept exactly: the writer packs "
      "structures into as few exclusive label maps as it can) or as ready label maps with "
      "add_mask(). Changes are written atomically by commit(), close() or the end of a with "
      "block; a file is never left half-written.\n\n"
      "Modes: 'r' read; 'w' create or replace (space required); 'a' read and add (creates the "
      "file when missing, then space is required).")
      .def(
          "__init__",
          [](ArchiveHandle* self, const std::filesystem::path& path, const std::string& mode,
             std::optional<Space> space, const std::string& level) {
            const std::string p = path_string(path);
            const OpenMode open_mode = mode_from(mode);
            const WriteOptions options = options_from(level);
            new (self) ArchiveHandle();
            self->path = p;
            nb::gil_scoped_release release;
            self->archive.emplace(p, open_mode, std::move(space), options);
          },
          nb::arg("path"), nb::arg("mode") = "r", nb::arg("space") = nb::none(),
          nb::arg("level") = "default",
          "Opens or creates an archive. level ('fast', 'default' or 'max') is the label codec's "
          "effort for the entries this handle writes. Raises OSError (cannot open), "
          "medmask.FormatError, medmask.UnsupportedError, medmask.LimitError (bad file), "
          "ValueError (bad arguments).")
      .def(
          "add_mask",
          [](ArchiveHandle& self, const MaskHandle& mask, const std::string& name) {
            // The archive encodes the voxels here and keeps no reference to them, so a caller's
            // later edits of a borrowed array cannot change what is written (tested).
            write_locked(self, [&](MaskArchive& a) { a.add_mask(name, mask.mask); });
          },
          nb::arg("segmask"), nb::arg("name"),
          "Stores a SegmentationMask as entry name. Raises ValueError if the entry exists, the "
          "space differs, a structure name is already used, or the archive is read-only.")
      .def(
          "load_mask",
          [](const ArchiveHandle& self, const std::string& name) {
            return MaskHandle{
                read_locked(self, [&](const MaskArchive& a) { return a.load_mask(name); }), false};
          },
          nb::arg("name"),
          "The entry name as a SegmentationMask. Raises KeyError for an unknown entry, "
          "medmask.FormatError for corrupt data.")
      .def(
          "entry_names",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return a.entry_names(); });
          },
          "Names of the stored entries (label maps), in file order.")
      .def(
          "add",
          [](ArchiveHandle& self, const std::string& name, nb::handle binary, nb::handle color,
             const std::string& description) {
            Label label;
            label.name = name;
            label.color = color_from(color, "color");
            label.description = description;
            // Painted into the archive's own layer at once: the array is not kept (tested).
            const LabelVolume volume = volume_from_array(binary, "binary");
            write_locked(self, [&](MaskArchive& a) { a.add_structure(name, volume, label); });
          },
          nb::arg("name"), nb::arg("binary"), nb::arg("color") = nb::none(),
          nb::arg("description") = "",
          nb::sig("def add(self, name: str, binary: numpy.typing.ArrayLike, "
                  "color: tuple[int, int, int] | None = None, description: str = '') -> None"),
          "Adds one structure: binary is (z, y, x), non-zero = inside, shape space.shape_zyx; "
          "color is (r, g, b) 0..255. Raises ValueError for a used name, a wrong shape or a "
          "read-only archive.")
      .def_prop_ro(
          "structures",
          [](const ArchiveHandle& self) {
            const std::vector<StructureInfo> infos =
                read_locked(self, [](const MaskArchive& a) { return a.structures(); });
            nb::list out;
            for (const StructureInfo& s : infos) out.append(structure_to_python(s));
            return out;
          },
          nb::sig("def structures(self) -> list[dict[str, typing.Any]]"),
          "One dict per structure, from the index (no voxel data is read): name, value, entry, "
          "voxels, volume_mm3, bbox ((z, y, x) min, (z, y, x) max, inclusive), color, "
          "description.")
      .def(
          "names",
          [](const ArchiveHandle& self) {
            const std::vector<StructureInfo> infos =
                read_locked(self, [](const MaskArchive& a) { return a.structures(); });
            std::vector<std::string> names;
            for (const StructureInfo& s : infos) names.push_back(s.name);
            return names;
          },
          "Names of all structures.")
      .def(
          "__getitem__",
          [](const ArchiveHandle& self, const std::string& name) {
            return array_from_volume(
                read_locked(self, [&](const MaskArchive& a) { return a.read_structure(name); }));
          },
          nb::arg("name"),
          nb::sig("def __getitem__(self, name: str) -> numpy.typing.NDArray[numpy.bool_]"),
          "The exact bool mask (z, y, x) of one structure. Raises KeyError for an unknown name.")
      .def(
          "get",
          [](const ArchiveHandle& self, nb::handle names) {
            const std::vector<std::string> list = names_from(names, "names");
            return array_from_volume(
                read_locked(self, [&](const MaskArchive& a) { return a.read_structures(list); }));
          },
          nb::arg("names"),
          nb::sig("def get(self, names: str | collections.abc.Iterable[str]) -> "
                  "numpy.typing.NDArray[numpy.bool_]"),
          "Union of one or several structures as a bool mask (z, y, x). Raises KeyError for an "
          "unknown name.")
      .def(
          "__contains__",
          [](const ArchiveHandle& self, nb::handle name) {
            if (!PyUnicode_Check(name.ptr())) return false;
            const std::string n = nb::cast<std::string>(name);
            return read_locked(self, [&](const MaskArchive& a) { return a.contains(n); });
          },
          nb::sig("def __contains__(self, name: object) -> bool"),
          "True when a structure of that name exists.")
      .def(
          "__iter__",
          [](const ArchiveHandle& self) {
            const std::vector<StructureInfo> infos =
                read_locked(self, [](const MaskArchive& a) { return a.structures(); });
            nb::list names;
            for (const StructureInfo& s : infos) names.append(nb::str(s.name.c_str()));
            return nb::iter(names);
          },
          nb::sig("def __iter__(self) -> collections.abc.Iterator[str]"),
          "Iterates over the structure names.")
      .def(
          "__len__",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return a.structures().size(); });
          },
          "Number of structures.")
      .def(
          "commit",
          [](ArchiveHandle& self) { write_locked(self, [](MaskArchive& a) { a.commit(); }); },
          "Writes pending changes atomically (temporary file, then rename). No-op when nothing "
          "changed or in mode 'r'.")
      .def("close", &close,
           "Commits pending changes and closes the archive; later calls raise ValueError. "
           "Closing twice is allowed.")
      .def_prop_ro(
          "closed", [](const ArchiveHandle& self) { return !self.archive.has_value(); },
          "True after close().")
      .def_prop_ro(
          "space",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return a.space(); });
          },
          "The Space shared by every structure (a copy).")
      .def_prop_ro(
          "path", [](const ArchiveHandle& self) { return self.path; }, "The archive's file path.")
      .def_prop_ro(
          "mode",
          [](const ArchiveHandle& self) {
            return std::string(
                mode_name(read_locked(self, [](const MaskArchive& a) { return a.mode(); })));
          },
          "'r', 'w' or 'a'.")
      .def(
          "__enter__", [](nb::handle self) { return nb::borrow(self); },
          nb::sig("def __enter__(self) -> MaskArchive"), "Returns the archive itself.")
      .def(
          "__exit__",
          [](ArchiveHandle& self, nb::handle exc_type, nb::handle, nb::handle) {
            if (exc_type.is_none()) {
              close(self);
              return;
            }
            // Leaving by an exception: drop what the block added, keep the file as it was, and
            // never mask the original error.
            nb::gil_scoped_release release;
            std::unique_lock guard(self.lock);
            if (self.archive) self.archive->discard();
            self.archive.reset();
          },
          nb::arg("exc_type").none(), nb::arg("exc_value").none(), nb::arg("traceback").none(),
          nb::sig("def __exit__(self, exc_type: object, exc_value: object, traceback: object) "
                  "-> None"),
          "Commits and closes on a clean exit. On an exception it discards the changes made since "
          "the last commit, leaving the file as it was, and closes without raising again.")
      .def(
          "__repr__",
          [](const ArchiveHandle& self) {
            if (!self.archive) return "MaskArchive('" + self.path + "', closed)";
            return "MaskArchive('" + self.path + "', mode='" + mode_name(self.archive->mode()) +
                   "')";
          },
          "Short description.");
}

}  // namespace medmask::python
