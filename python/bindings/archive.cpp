// medmask.MaskArchive: one .mska file holding the structures of one case.
#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "medmask/export.hpp"
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
  OpenMode mode = OpenMode::kRead;
  WriteOptions options;
  // Created by this handle and still empty: the first add_mask may turn its Space to the reversed
  // axis order (medmask 0.1.x's rule, ArrayAxisOrder::kMedmask01).
  bool fresh = false;
  // Inside a with block, add_mask batches until the block ends; outside, it writes through
  // (commits at once), as medmask 0.1.x did.
  bool in_with = false;
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

// None for an empty structure: it has no box.
nb::object bbox_tuple(const LabelStats& stats) {
  if (stats.voxels == 0) return nb::none();
  const auto& lo = stats.bbox_min_zyx;
  const auto& hi = stats.bbox_max_zyx;
  return nb::make_tuple(nb::make_tuple(lo[0], lo[1], lo[2]), nb::make_tuple(hi[0], hi[1], hi[2]));
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

// Call with the unique lock held (add_mask, medmask 0.1.x's API). A fresh, empty archive whose
// Space fits the mask only in reversed axis order (medmask 0.1.x's rule) starts over on the
// mask's Space; the rule's warning text is returned for the caller to issue with the GIL.
std::string adopt_space_if_fresh(ArchiveHandle& h, const Space& wanted) {
  MaskArchive& a = h.get();
  if (!h.fresh || a.space() == wanted) return {};
  if (!a.entry_names().empty() || !a.structures().empty()) return {};
  std::string warning;
  const Space placed = space_for_array(a.space(), wanted.shape_zyx(), ArrayAxisOrder::kMedmask01,
                                       h.path + ": add_mask", &warning);
  if (!(placed == wanted) || warning.empty()) return {};
  a.discard();
  h.archive.reset();
  h.archive.emplace(h.path, h.mode, wanted, h.options);
  return warning;
}

// A nibabel image's voxels as a (z, y, x) volume of space: its own affine says where its voxels
// are, so no axis order is guessed. Its grid must be space's within a tenth of the smallest voxel
// spacing (what `medmask pack` accepts by default: float32 rounding of affines, never a voxel).
// Requires the GIL. Throws ArgumentError starting with what.
LabelVolume volume_from_image(nb::handle image, const Space& space, const std::string& what) {
  nb::object shape = image.attr("shape");
  if (nb::len(shape) != 3) {
    throw ArgumentError(what + ": the image has " + std::to_string(nb::len(shape)) +
                        " dimensions; expected a 3-D mask");
  }
  const Space image_space = Space::from_affine_ras(affine_from(image.attr("affine"), "affine"),
                                                   shape3_from(shape, "image shape"));
  const Vec3& spacing = space.spacing_mm();
  const double tolerance_mm = 0.1 * std::min({spacing[0], spacing[1], spacing[2]});
  if (!image_space.is_close(space, tolerance_mm)) {
    const auto text = [](const Shape3& s) {
      return "(" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " +
             std::to_string(s[2]) + ")";
    };
    const Shape3& s = image_space.shape_xyz();
    const bool reversed = Shape3{s[2], s[1], s[0]} == space.shape_xyz();
    const std::string difference =
        s != space.shape_xyz()
            ? "the image's shape (x, y, z) " + text(s) + " differs from the archive's " +
                  text(space.shape_xyz()) +
                  (reversed ? ", reversed: the image was made from a (z, y, x) array that "
                              "needed transposing (array.T)"
                            : "")
            : "corner voxels " + std::to_string(image_space.max_corner_distance_mm(space)) +
                  " mm apart (accepted: " + std::to_string(tolerance_mm) + " mm)";
    throw ArgumentError(what + ": the image's grid is not the archive's: " + difference +
                        "; the image: " + image_space.to_string() +
                        ", the archive: " + space.to_string());
  }
  nb::object data = nb::module_::import_("numpy").attr("asarray")(image.attr("dataobj"));
  // nibabel indexes [i, j, k]: the transpose is the (z, y, x) array (a C-order view of the
  // Fortran-order data NIfTI files hold, so usually no copy).
  return volume_from_array(data.attr("T"), what.c_str());
}

// A voxel index from an int (or numpy integer); a float such as 1.5 is a one-line TypeError
// rather than nanobind's list of overloads.
std::int64_t voxel_index(nb::handle value, const char* axis) {
  std::int64_t out = 0;
  if (PyFloat_Check(value.ptr()) || !PyIndex_Check(value.ptr()) ||
      !nb::try_cast(value, out, true)) {
    throw nb::type_error((std::string("labels_at: ") + axis +
                          " must be an integer voxel index; found " +
                          nb::str(nb::repr(value)).c_str())
                             .c_str());
  }
  return out;
}

// Names as the user typed them -> stored names (MaskArchive::resolve_name: a plain name that
// several entries carry is a KeyError listing the qualified names).
std::vector<std::string> resolved(const MaskArchive& a, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  out.reserve(names.size());
  for (const std::string& name : names) out.push_back(a.resolve_name(name));
  return out;
}

// The statistics of the named values of an entry (labels as load_mask gives them), from the
// index: no voxels read.
std::shared_ptr<const std::map<std::uint32_t, LabelStats>> entry_stats(const MaskArchive& a,
                                                                       const std::string& entry,
                                                                       const LabelTable& stored) {
  auto stats = std::make_shared<std::map<std::uint32_t, LabelStats>>();
  for (const Label& label : stored) {
    // The qualified name: the plain one may be carried by other entries too.
    for (const StructurePart& part : a.structure(entry + "/" + label.name).parts) {
      if (part.entry == entry) (*stats)[part.value] = part.stats;
    }
  }
  return stats;
}

void close(ArchiveHandle& h) {
  nb::gil_scoped_release release;
  std::unique_lock guard(h.lock);
  if (!h.archive) return;
  // commit() first so that its errors reach the caller (the destructor swallows them).
  h.archive->commit();
  h.archive.reset();
}

std::vector<std::string> all_names(const MaskArchive& a) {
  std::vector<std::string> names;
  for (const StructureInfo& s : a.structures()) names.push_back(s.name);
  return names;
}

void bind_structure(nb::module_& m) {
  nb::class_<StructureInfo>(m, "Structure",
                            "One structure (or group) as the archive's index describes it; "
                            "reading it needs no voxel data.")
      .def_ro("name", &StructureInfo::name, "The structure's name (unique in the archive).")
      .def_ro("value", &StructureInfo::value,
              "Its label value in the entry that holds it (0 for a group).")
      .def_ro("entry", &StructureInfo::entry,
              "The entry (label map) holding it, or its first part; '' for a group.")
      .def_prop_ro(
          "color", [](const StructureInfo& s) { return color_to_python(s.label.color); },
          nb::sig("def color(self) -> tuple[int, int, int] | None"),
          "Display colour (r, g, b) 0..255, or None.")
      .def_prop_ro(
          "description", [](const StructureInfo& s) { return s.label.description; },
          "Free text description ('' when none).")
      .def_prop_ro(
          "voxels", [](const StructureInfo& s) { return s.stats.voxels; },
          "Number of voxels inside (of the union, for a group).")
      .def_ro("volume_mm3", &StructureInfo::volume_mm3, "voxels times the voxel volume, mm^3.")
      .def_prop_ro(
          "bbox", [](const StructureInfo& s) { return bbox_tuple(s.stats); },
          nb::sig("def bbox(self) -> tuple[tuple[int, int, int], tuple[int, int, int]] | None"),
          "Inclusive bounding box ((z0, y0, x0), (z1, y1, x1)) in array indices; None when "
          "empty.")
      .def_ro("members", &StructureInfo::members,
              "A group's direct members (structures or groups); [] for a structure.")
      .def_prop_ro("is_group", &StructureInfo::is_group,
                   "True for a group (a named union of other structures).")
      .def(
          "__repr__",
          [](const StructureInfo& s) {
            return "Structure('" + s.name + "', value=" + std::to_string(s.value) +
                   ", voxels=" + std::to_string(s.stats.voxels) + ")";
          },
          "Short description.");
}

// A (begin, end) pair of ints, or the whole axis [0, size) for None.
ZRange range_from(nb::handle pair, const std::string& what, std::int64_t size) {
  if (pair.is_none()) return ZRange{0, size};
  ZRange range;
  const bool two = PySequence_Check(pair.ptr()) && nb::len(pair) == 2;
  if (!two || !nb::try_cast(nb::object(pair[0]), range.begin) ||
      !nb::try_cast(nb::object(pair[1]), range.end)) {
    throw ArgumentError(what + ": expected (begin, end)");
  }
  return range;
}

// box=((z0, z1), (y0, y1), (x0, x1)), numpy's axis order; None for a whole axis.
VoxelBox box_from(nb::handle box, const Shape3& shape) {
  if (!PySequence_Check(box.ptr()) || nb::len(box) != 3) {
    throw ArgumentError("box: expected ((z0, z1), (y0, y1), (x0, x1)), None for a whole axis");
  }
  return VoxelBox{range_from(box[0], "box[0] (z)", shape[0]),
                  range_from(box[1], "box[1] (y)", shape[1]),
                  range_from(box[2], "box[2] (x)", shape[2])};
}

}  // namespace

void bind_archive(nb::module_& m) {
  bind_structure(m);
  nb::class_<ArchiveHandle>(
      m, "MaskArchive",
      "One .mska file holding the structures of one case, on one Space.\n\n"
      "Read structures by name (archive['liver'], archive.get([...])) without knowing how they "
      "are stored. Write them one by one with add() (overlaps are kept exactly: the writer packs "
      "structures into as few exclusive label maps as it can), as groups of stored structures "
      "with add_group(), or as ready label maps with add_mask(). Changes are written atomically "
      "by commit(), close() or the end of a with block. Outside a with block add_mask() (and "
      "add_segmask()) commit at once, as in medmask 0.1.x.\n\n"
      "Modes: 'r' read; 'w' create or replace (space required); 'a' read and add (creates the "
      "file when missing, then space is required). Reads are safe from many threads at once.")
      .def(
          "__init__",
          [](ArchiveHandle* self, const std::filesystem::path& path, const std::string& mode,
             nb::handle space_arg, const std::string& level, std::optional<long long> threads,
             const std::optional<ReadLimits>& limits, std::optional<bool> layer_per_structure) {
            const std::string p = path_string(path);
            const OpenMode open_mode = mode_from(mode);
            WriteOptions options = write_options_from(level);
            options.layer_per_structure = layer_per_structure;
            if (threads) {
              if (*threads < 1 || *threads > 4096) {
                throw ArgumentError(
                    "threads must be 1 .. 4096 (or None for every core this "
                    "process may use); found " +
                    std::to_string(*threads));
              }
              options.threads = static_cast<unsigned>(*threads);
            }
            std::optional<Space> space;
            if (!space_arg.is_none()) space = space_from(space_arg, "space");
            new (self) ArchiveHandle();
            self->path = p;
            self->mode = open_mode;
            self->options = options;
            nb::gil_scoped_release release;
            self->fresh = open_mode == OpenMode::kWrite ||
                          (open_mode == OpenMode::kAppend && !std::filesystem::exists(path));
            self->archive.emplace(p, open_mode, std::move(space), options,
                                  limits.value_or(kDefaultReadLimits));
          },
          nb::arg("path"), nb::arg("mode") = "r", nb::arg("space") = nb::none(),
          nb::arg("level") = "default", nb::arg("threads") = nb::none(),
          nb::arg("limits") = nb::none(), nb::arg("layer_per_structure") = nb::none(),
          nb::sig("def __init__(self, path: str | os.PathLike[str], mode: str = 'r', "
                  "space: Space | typing.Any | None = None, level: str = 'default', "
                  "threads: int | None = None, limits: ReadLimits | None = None, "
                  "layer_per_structure: bool | None = None) -> None"),
          "Opens or creates an archive. level ('fast', 'default' or 'max') is the label codec's "
          "effort for the entries this handle writes. layer_per_structure: True gives each "
          "non-empty structure this handle adds a label map of its own (a large one cut in a few "
          "z-chunks that threads decode side by side), so that reading one structure decodes "
          "only it; False packs structures into shared label maps (smaller at level max, slower "
          "to read one structure); None: True except at level max (README 'Reading one "
          "structure'). threads: threads "
          "for coding and decoding "
          "(None: the MEDMASK_THREADS environment variable, else every core this process may "
          "use); results never depend on it. limits (medmask.ReadLimits) caps what reading may "
          "allocate. Raises OSError (cannot open), "
          "medmask.FormatError, medmask.UnsupportedError, medmask.LimitError (bad file), "
          "ValueError (bad arguments).")
      // ---- Entries: the medmask 0.1.x API ------------------------------------------------
      .def(
          "add_mask",
          [](ArchiveHandle& self, const MaskHandle& mask, const std::string& name) {
            // The archive encodes the voxels here and keeps no reference to them, so a caller's
            // later edits of a borrowed array cannot change what is written (tested).
            std::string warning;
            {
              nb::gil_scoped_release release;
              std::unique_lock guard(self.lock);
              warning = adopt_space_if_fresh(self, mask.mask.space());
              MaskArchive& a = self.get();
              a.add_mask(name, mask.mask);
              self.fresh = false;
              if (!self.in_with) a.commit_provisional();  // the index recompressed on close
            }
            if (!warning.empty()) warn_axis_order(warning);
          },
          nb::arg("segmask"), nb::arg("name"),
          "Stores a SegmentationMask as entry name; outside a with block the file is written at "
          "once. Raises ValueError if the entry exists, the space differs, a structure name is "
          "already used, or the archive is read-only.")
      .def(
          "add_segmask",
          [](nb::handle self, nb::handle segmask, nb::handle name) {
            self.attr("add_mask")(segmask, name);
          },
          nb::arg("segmask"), nb::arg("name"),
          nb::sig("def add_segmask(self, segmask: SegmentationMask, name: str) -> None"),
          "The same as add_mask (medmask 0.1.x name).")
      .def(
          "load_mask",
          [](const ArchiveHandle& self, const std::string& name) {
            return read_locked(self, [&](const MaskArchive& a) {
              // The index's per-value boxes come along, so that get_binary_mask_by_names reads
              // only a structure's box without scanning the map first.
              SegmentationMask stored = a.load_mask(name);
              auto stats = entry_stats(a, name, stored.labels());
              return MaskHandle{std::move(stored), false, false, true, std::move(stats)};
            });
          },
          nb::arg("name"),
          "The entry name as a SegmentationMask. Raises KeyError for an unknown entry, "
          "medmask.FormatError for corrupt data.")
      .def(
          "load_segmask",
          [](nb::handle self, nb::handle name) { return self.attr("load_mask")(name); },
          nb::arg("name"), nb::sig("def load_segmask(self, name: str) -> SegmentationMask"),
          "The same as load_mask (medmask 0.1.x name).")
      .def(
          "entry_names",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return a.entry_names(); });
          },
          "Names of the stored entries (label maps), in file order.")
      .def(
          "all_names",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return a.entry_names(); });
          },
          "The same as entry_names (medmask 0.1.x name).")
      .def(
          "read_all_masks",
          [](const ArchiveHandle& self) {
            std::vector<std::pair<std::string, SegmentationMask>> masks =
                read_locked(self, [](const MaskArchive& a) {
                  std::vector<std::pair<std::string, SegmentationMask>> out;
                  for (const std::string& name : a.entry_names()) {
                    out.emplace_back(name, a.load_mask(name));
                  }
                  return out;
                });
            nb::dict out;
            for (auto& [name, mask] : masks) {
              out[nb::str(name.c_str())] =
                  nb::cast(MaskHandle{std::move(mask), false, false, true, nullptr});
            }
            return out;
          },
          nb::sig("def read_all_masks(self) -> dict[str, SegmentationMask]"),
          "{entry name: SegmentationMask} for every entry (medmask 0.1.x).")
      .def(
          "read_all_mapping",
          [](const ArchiveHandle& self) {
            std::vector<std::pair<std::string, LabelTable>> tables =
                read_locked(self, [](const MaskArchive& a) {
                  // Entries' tables come from the index: no voxel data is decoded.
                  std::vector<std::pair<std::string, LabelTable>> out;
                  for (const std::string& name : a.entry_names())
                    out.emplace_back(name, LabelTable{});
                  for (const StructureInfo& s : a.structures()) {
                    if (s.is_group()) continue;
                    for (auto& [entry, table] : out) {
                      if (entry != s.entry) continue;
                      Label label = s.label;  // as added: without the entry qualifier
                      if (label.name.starts_with(entry + "/"))
                        label.name.erase(0, entry.size() + 1);
                      if (table.find(label.name) == nullptr) table.add(std::move(label));
                    }
                  }
                  return out;
                });
            nb::dict out;
            for (const auto& [name, table] : tables) {
              out[nb::str(name.c_str())] = mapping_from_table(table);
            }
            return out;
          },
          nb::sig("def read_all_mapping(self) -> dict[str, dict[str, int]]"),
          "{entry name: {structure name: value}} for every entry, from the index (medmask "
          "0.1.x).")
      // ---- Structures -------------------------------------------------------------------
      .def(
          "add",
          [](ArchiveHandle& self, const std::string& name, nb::handle binary, nb::handle color,
             const std::string& description) {
            Label label;
            label.name = name;
            label.color = color_from(color, "color");
            label.description = description;
            // Painted into the archive's own layer at once: the array is not kept (tested).
            const std::string what = "add '" + name + "'";
            const bool is_image = nb::hasattr(binary, "affine") && nb::hasattr(binary, "dataobj");
            const LabelVolume volume =
                is_image
                    ? volume_from_image(
                          binary, read_locked(self, [](const MaskArchive& a) { return a.space(); }),
                          what)
                    : volume_from_array(binary, what.c_str());
            nb::gil_scoped_release release;
            std::unique_lock guard(self.lock);
            // The current API: arrays are (z, y, x) of the archive's Space, never guessed
            // (ArrayAxisOrder::kZyx); add_structure refuses a transposed array.
            self.get().add_structure(name, volume, label);
            self.fresh = false;
          },
          nb::arg("name"), nb::arg("binary"), nb::arg("color") = nb::none(),
          nb::arg("description") = "",
          nb::sig("def add(self, name: str, binary: numpy.typing.ArrayLike | typing.Any, "
                  "color: tuple[int, int, int] | None = None, description: str = '') -> None"),
          "Adds one structure: binary is (z, y, x), non-zero = inside, shape space.shape_zyx "
          "(an array shaped space.shape, as nibabel indexes [i, j, k], is refused: pass its "
          "transpose), or a nibabel image, whose affine places its voxels (its grid must be "
          "the archive's within a tenth of a voxel); "
          "color is (r, g, b) 0..255. Overlaps with other structures are kept exactly; a binary "
          "equal to the union of stored structures is stored as a group of them. Raises "
          "ValueError for a used name, a wrong shape or a read-only archive.")
      .def(
          "add_group",
          [](ArchiveHandle& self, const std::string& name, nb::handle members, nb::handle color,
             const std::string& description) {
            const std::vector<std::string> list = names_from(members, "members");
            Label label;
            label.name = name;
            label.color = color_from(color, "color");
            label.description = description;
            write_locked(self, [&](MaskArchive& a) { a.add_group(name, list, label); });
            self.fresh = false;
          },
          nb::arg("name"), nb::arg("members"), nb::arg("color") = nb::none(),
          nb::arg("description") = "",
          nb::sig("def add_group(self, name: str, members: collections.abc.Iterable[str], "
                  "color: tuple[int, int, int] | None = None, description: str = '') -> None"),
          "Defines name as the union of members (structures or groups already stored); it costs "
          "no voxels and reads like a structure. Raises ValueError for a used name, an unknown "
          "member or no members.")
      .def(
          "replace",
          [](ArchiveHandle& self, const std::string& name, nb::handle binary) {
            const LabelVolume volume = volume_from_array(binary, "binary");
            write_locked(
                self, [&](MaskArchive& a) { a.replace_structure(a.resolve_name(name), volume); });
          },
          nb::arg("name"), nb::arg("binary"),
          nb::sig("def replace(self, name: str, binary: numpy.typing.ArrayLike) -> None"),
          "Replaces the voxels of a structure, keeping its label (value, colour, description). "
          "Works for a member of any group (a group made with add_group then covers the new "
          "voxels; a union recognised by the writer keeps its old voxels) and for a recognised "
          "union itself; raises ValueError for a group made with add_group.")
      .def(
          "remove",
          [](ArchiveHandle& self, const std::string& name) {
            write_locked(self, [&](MaskArchive& a) { a.remove(a.resolve_name(name)); });
          },
          nb::arg("name"),
          "Removes a structure or group. Raises KeyError for an unknown name and ValueError if a "
          "group made with add_group lists it as a member (a union recognised by the writer, or a "
          "duplicate, keeps its voxels instead and never blocks this).")
      .def_prop_ro(
          "structures",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return a.structures(); });
          },
          nb::sig("def structures(self) -> list[Structure]"),
          "Every structure (in the order added), then every group, from the index (no voxel "
          "data is read): name, value, color, voxels, volume_mm3, bbox, ...")
      .def(
          "structure",
          [](const ArchiveHandle& self, const std::string& name) {
            return read_locked(
                self, [&](const MaskArchive& a) { return a.structure(a.resolve_name(name)); });
          },
          nb::arg("name"), "One structure's index record. Raises KeyError for an unknown name.")
      .def(
          "names",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return all_names(a); });
          },
          "Names of all structures and groups.")
      .def(
          "expand",
          [](const ArchiveHandle& self, const std::string& name) {
            return read_locked(
                self, [&](const MaskArchive& a) { return a.expand(a.resolve_name(name)); });
          },
          nb::arg("name"),
          "The structures a group stands for, nested groups expanded ([name] for a structure).")
      .def(
          "__getitem__",
          [](const ArchiveHandle& self, const std::string& name) {
            return array_from_volume(read_locked(self,
                                                 [&](const MaskArchive& a) {
                                                   return a.read_structure(a.resolve_name(name));
                                                 }),
                                     Access::kWritableIfUnshared);
          },
          nb::arg("name"),
          nb::sig("def __getitem__(self, name: str) -> numpy.typing.NDArray[numpy.bool_]"),
          "The exact bool mask (z, y, x) of one structure or group, decoding only the chunks "
          "that hold it. Raises KeyError for an unknown name.")
      .def(
          "get",
          [](const ArchiveHandle& self, nb::handle names, nb::handle z_range, nb::handle box) {
            const std::vector<std::string> list = names_from(names, "names");
            if (!z_range.is_none() && !box.is_none()) {
              throw ArgumentError("get: give z_range or box, not both");
            }
            if (z_range.is_none() && box.is_none()) {
              return array_from_volume(read_locked(self,
                                                   [&](const MaskArchive& a) {
                                                     return a.read_structures(resolved(a, list));
                                                   }),
                                       Access::kWritableIfUnshared);
            }
            return array_from_volume(
                read_locked(self,
                            [&](const MaskArchive& a) {
                              const Shape3 shape = a.space().shape_zyx();
                              const VoxelBox b =
                                  box.is_none() ? VoxelBox{range_from(z_range, "z_range", shape[0]),
                                                           ZRange{0, shape[1]}, ZRange{0, shape[2]}}
                                                : box_from(box, shape);
                              return a.read_box(resolved(a, list), b);
                            }),
                Access::kWritableIfUnshared);
          },
          nb::arg("names"), nb::arg("z_range") = nb::none(), nb::arg("box") = nb::none(),
          nb::sig("def get(self, names: str | collections.abc.Iterable[str], "
                  "z_range: tuple[int, int] | None = None, "
                  "box: tuple[tuple[int, int] | None, tuple[int, int] | None, "
                  "tuple[int, int] | None] | None = None) -> numpy.typing.NDArray[numpy.bool_]"),
          "Union of one or several structures as a bool mask (z, y, x); with z_range=(begin, "
          "end) only slices begin <= z < end (shape (end - begin, y, x)); with box=((z0, z1), "
          "(y0, y1), (x0, x1)) only that box (shape (z1 - z0, y1 - y0, x1 - x0); None for a "
          "whole axis). Only the tiles meeting the request are decoded. Raises KeyError for an "
          "unknown name.")
      .def(
          "read_each",
          [](const ArchiveHandle& self, nb::handle names) {
            std::vector<std::string> list;
            if (!names.is_none()) list = names_from(names, "names");
            std::vector<LabelVolume> volumes = read_locked(self, [&](const MaskArchive& a) {
              if (names.is_none()) {
                list = all_names(a);
                return a.read_each(list);
              }
              return a.read_each(resolved(a, list));
            });
            nb::dict out;
            for (std::size_t i = 0; i < list.size(); ++i) {
              out[nb::str(list[i].c_str())] =
                  array_from_volume(volumes[i], Access::kWritableIfUnshared);
            }
            return out;
          },
          nb::arg("names") = nb::none(),
          nb::sig("def read_each(self, names: collections.abc.Iterable[str] | None = None) -> "
                  "dict[str, numpy.typing.NDArray[numpy.bool_]]"),
          "{name: bool mask (z, y, x)} for the given names (default: every structure and "
          "group), decoding each chunk once, in parallel.")
      .def(
          "labels_at",
          [](const ArchiveHandle& self, nb::handle z_arg, nb::handle y_arg, nb::handle x_arg) {
            const std::int64_t z = voxel_index(z_arg, "z");
            const std::int64_t y = voxel_index(y_arg, "y");
            const std::int64_t x = voxel_index(x_arg, "x");
            return read_locked(self, [&](const MaskArchive& a) { return a.labels_at(z, y, x); });
          },
          nb::arg("z"), nb::arg("y"), nb::arg("x"),
          nb::sig("def labels_at(self, z: int, y: int, x: int) -> list[str]"),
          "Names of every structure and group covering voxel (z, y, x). Raises ValueError "
          "outside the grid.")
      .def(
          "overlapping",
          [](const ArchiveHandle& self, const std::string& name) {
            const std::vector<Overlap> overlaps = read_locked(
                self, [&](const MaskArchive& a) { return a.overlapping(a.resolve_name(name)); });
            nb::dict out;
            for (const Overlap& o : overlaps) out[nb::str(o.name.c_str())] = o.voxels;
            return out;
          },
          nb::arg("name"), nb::sig("def overlapping(self, name: str) -> dict[str, int]"),
          "{other structure: shared voxels} for the structures sharing voxels with name.")
      .def(
          "__contains__",
          [](const ArchiveHandle& self, nb::handle name) {
            if (!PyUnicode_Check(name.ptr())) return false;
            const std::string n = nb::cast<std::string>(name);
            return read_locked(self, [&](const MaskArchive& a) { return a.contains(n); });
          },
          nb::sig("def __contains__(self, name: object) -> bool"),
          "True when a structure or group of that name exists.")
      .def(
          "__iter__",
          [](const ArchiveHandle& self) {
            const std::vector<std::string> names =
                read_locked(self, [](const MaskArchive& a) { return all_names(a); });
            return nb::iter(nb::cast(names));
          },
          nb::sig("def __iter__(self) -> collections.abc.Iterator[str]"),
          "Iterates over the structure and group names.")
      .def(
          "__len__",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return a.structures().size(); });
          },
          "Number of structures and groups.")
      .def(
          "entries",
          [](const ArchiveHandle& self) {
            const std::vector<EntryInfo> entries =
                read_locked(self, [](const MaskArchive& a) { return a.entries(); });
            nb::list out;
            for (const EntryInfo& e : entries) {
              nb::dict d;
              d["name"] = e.name;
              d["dtype"] = numpy_dtype(e.dtype);
              // Strings, as before the enums: "" for a level-less coding or an uncoded layer.
              d["coding"] = e.coding_name;
              d["level"] = e.level ? std::string(compression_level_name(*e.level)) : std::string();
              d["stored_bytes"] = e.stored_bytes;
              d["reference"] = e.reference;  // the layer it is coded against, "" if none
              out.append(d);
            }
            return out;
          },
          nb::sig("def entries(self) -> list[dict[str, typing.Any]]"),
          "One dict per entry (label map): name, dtype, coding, level, stored_bytes, reference\n"
          "(the layer it is coded against, \"\" if none).")
      .def(
          "to_nifti",
          [](const ArchiveHandle& self, const std::filesystem::path& path, nb::handle names,
             bool multilabel, bool split_layers, int xform_code) {
            ExportOptions options;
            if (!names.is_none()) options.names = names_from(names, "names");
            if (xform_code < 0 || xform_code > 4) {
              throw ArgumentError("xform_code must be 0..4; found " + std::to_string(xform_code));
            }
            options.nifti_xform_code = static_cast<std::int16_t>(xform_code);
            options.split_layers = split_layers;
            const std::string p = path_string(path);
            const ExportFormat format =
                multilabel ? ExportFormat::kNiftiMultilabel : ExportFormat::kNiftiDir;
            const ExportResult result = read_locked(
                self, [&](const MaskArchive& a) { return export_archive(a, format, p, options); });
            return result.files;
          },
          nb::arg("path"), nb::arg("names") = nb::none(), nb::arg("multilabel") = false,
          nb::arg("split_layers") = false, nb::arg("xform_code") = 1,
          nb::sig("def to_nifti(self, path: str | os.PathLike[str], "
                  "names: collections.abc.Iterable[str] | None = None, multilabel: bool = False, "
                  "split_layers: bool = False, xform_code: int = 1) -> list[str]"),
          "Writes structures as NIfTI-1 (sform and qform from the Space, label names in header "
          "extensions and a labels.json sidecar). Default: path is a folder receiving one 0/1 "
          "<name>.nii.gz per structure. multilabel=True: path is one label-map .nii(.gz); "
          "overlapping structures raise ValueError unless split_layers=True (one file per "
          "exclusive layer). names: the structures to write (default all). Returns the files "
          "written.")
      .def(
          "export",
          [](const ArchiveHandle& self, const std::filesystem::path& path,
             const std::string& format, nb::handle names) {
            ExportOptions options;
            if (!names.is_none()) options.names = names_from(names, "names");
            const ExportFormat f = parse_export_format(format);
            const std::string p = path_string(path);
            const ExportResult result = read_locked(
                self, [&](const MaskArchive& a) { return export_archive(a, f, p, options); });
            return result.files;
          },
          nb::arg("path"), nb::arg("format"), nb::arg("names") = nb::none(),
          nb::sig("def export(self, path: str | os.PathLike[str], format: str, "
                  "names: collections.abc.Iterable[str] | None = None) -> list[str]"),
          "Writes structures for other tools: format 'nifti-dir', 'nifti-multilabel', "
          "'seg.nrrd' (3D Slicer, overlap kept) or 'npz'. Returns the files written.")
      // ---- Life cycle ---------------------------------------------------------------------
      .def(
          "commit",
          [](ArchiveHandle& self) { write_locked(self, [](MaskArchive& a) { a.commit(); }); },
          "Writes pending changes so that a crash never loses what the file held. No-op when "
          "nothing changed or in mode 'r'.")
      .def(
          "compact",
          [](ArchiveHandle& self) { write_locked(self, [](MaskArchive& a) { a.compact(); }); },
          "Commits, then rewrites the file without the bytes left unreferenced by replaced or "
          "removed data.")
      .def_prop_ro(
          "unreferenced_bytes",
          [](const ArchiveHandle& self) {
            return read_locked(self, [](const MaskArchive& a) { return a.unreferenced_bytes(); });
          },
          "Bytes of the file that no section references (compact() drops them).")
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
          "__enter__",
          [](nb::handle self) {
            nb::cast<ArchiveHandle&>(self).in_with = true;
            return nb::borrow(self);
          },
          nb::sig("def __enter__(self) -> MaskArchive"),
          "Returns the archive itself; until the block ends, add_mask batches its writes.")
      .def(
          "__exit__",
          [](ArchiveHandle& self, nb::handle exc_type, nb::handle, nb::handle) {
            self.in_with = false;
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
