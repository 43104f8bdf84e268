// MaskArchive: the .mska container of docs/FORMAT.md (header, data sections, JSON index):
// opening, adding and removing structures, committing. Queries that decode voxels are in
// archive_read.cpp.
#include "medmask/archive.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "codec/tiling.hpp"
#include "container/archive_impl.hpp"
#include "container/cm_section.hpp"
#include "container/error_message.hpp"
#include "container/format_constants.hpp"
#include "container/in_place_file.hpp"
#include "container/index_frame.hpp"
#include "container/layer_reference.hpp"
#include "container/structure_packing.hpp"
#include "container/zstd_section.hpp"
#include "detail/atomic_file.hpp"
#include "detail/checksum.hpp"
#include "detail/did_you_mean.hpp"
#include "medmask/error.hpp"
#include "medmask/medmask_v1.hpp"

namespace medmask {

using container::ArchiveEntry;
using container::EntryKind;
using container::EntryRecord;
using container::OpenVolume;

namespace {

bool file_exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

std::string known_names(const std::vector<std::string>& names) {
  std::string known;
  const std::size_t shown = std::min<std::size_t>(names.size(), 5);
  for (std::size_t i = 0; i < shown; ++i) known += (i ? ", " : "") + names[i];
  if (names.size() > shown) known += ", ...";
  return known.empty() ? "none" : known;
}

std::uint32_t free_value(const LabelTable& labels, std::uint32_t wanted) {
  if (wanted != 0 && labels.find_value(wanted) == nullptr) return wanted;
  std::set<std::uint32_t> used;
  for (const Label& label : labels) used.insert(label.value);
  std::uint32_t value = 1;
  for (const std::uint32_t v : used) {
    if (v != value) break;
    ++value;
  }
  return value;
}

// How deeply a group with these members nests: 1 + the depth of its deepest member group. The
// stored groups nest at most max_group_depth levels (checked on reading and adding), so that many
// rounds of relaxation reach every depth, without recursion.
std::uint32_t group_depth(const std::vector<container::GroupRecord>& groups,
                          std::span<const std::string> members, std::uint32_t max_group_depth) {
  std::unordered_map<std::string_view, std::uint32_t> depth;
  for (const container::GroupRecord& group : groups) depth[group.label.name] = 1;
  const auto deepest = [&](const auto& names) {
    std::uint32_t most = 0;
    for (const std::string& name : names) {
      if (const auto it = depth.find(name); it != depth.end()) most = std::max(most, it->second);
    }
    return most;
  };
  for (std::uint32_t round = 0; round < max_group_depth; ++round) {
    for (const container::GroupRecord& group : groups) {
      depth[group.label.name] = deepest(group.members) + 1;
    }
  }
  return deepest(members) + 1;
}

}  // namespace

// Tiles of at most 128 rows and columns in 96-slice chunks: on the sample case (192 x 294 voxels in
// a slice) they cost 3 % more bytes than 64-slice chunks at level default and halve the time to
// read one structure; at level fast they save 7 % (docs/FORMAT.md 5.3 has the table).
std::uint32_t default_tile_size(CompressionLevel /*level*/) { return 128; }
std::uint32_t default_tiled_chunk_depth() { return 96; }

namespace {

// A layer per structure decodes at most about this many voxels of its box per z-chunk, each
// z-chunk on a thread of its own. Sample case, CLI pack at level default, C++ fresh open + one
// structure with 2 threads, best of 21 (FORMAT.md 10.2): the four structures over it (boxes of
// 0.6-1.4 Mi voxels) read in 2.7-4.4 ms instead of 3.9-5.9, for 454 more bytes (+2.8 %); one
// thread reads as fast as before. 256 Ki (15 z-chunks more than one per structure, against 5)
// cost +7.5 %.
constexpr std::uint64_t kVoxelsPerPiece = 512 * 1024;
// Each z-chunk restarts the codec's models (about 90 bytes on the sample case): a whole-body mask
// of a long CT would otherwise be cut into hundreds. 64 keep 16 threads busy four times over.
constexpr std::uint64_t kMostPieces = 64;
// A shared layer of fewer voxels is cut as a layer per structure: on the sample case, the second
// layer's 21 voxels of overlap took two tiles: 24 bytes fewer in one stream, at every level.
constexpr std::uint64_t kFewVoxels = 4096;

// The z-chunk depth of a layer per structure: its values' common box cut into pieces of about
// kVoxelsPerPiece voxels, at most kMostPieces (the whole volume in one chunk for a small or empty
// layer).
std::uint32_t depth_for_pieces(const Shape3& shape,
                               const std::map<std::uint32_t, LabelStats>& stats) {
  const auto nz = static_cast<std::size_t>(std::clamp<std::int64_t>(shape[0], 1, 0x7FFFFFFF));
  const std::optional<LabelStats> box = container::labelled_box(stats, shape);
  if (!box) return static_cast<std::uint32_t>(nz);
  std::uint64_t voxels = 1;
  for (std::size_t a = 0; a < 3; ++a) {
    voxels *= static_cast<std::uint64_t>(box->bbox_max_zyx[a] - box->bbox_min_zyx[a] + 1);
  }
  const std::uint64_t pieces =
      std::min((voxels + kVoxelsPerPiece - 1) / kVoxelsPerPiece, kMostPieces);
  return static_cast<std::uint32_t>(codec::balanced_chunk_depth(
      nz, static_cast<std::size_t>(box->bbox_min_zyx[0]),
      static_cast<std::size_t>(box->bbox_max_zyx[0]), static_cast<std::size_t>(pieces)));
}

}  // namespace

// A file of the original Python medmask 0.1.x, read whole into memory, read-only: its entries
// become open volumes, so every query works on it as on a .mska file.
void MaskArchive::Impl::open_legacy() {
  if (mode != OpenMode::kRead) {
    throw UnsupportedError(path + ": a file of the original medmask 0.1.x opens read-only; " +
                               "convert it first (medmask convert " + path + " -o new.mska)",
                           path);
  }
  LegacyFile legacy = read_medmask_v1(path, limits);
  space = legacy.space;
  std::set<std::string> names;
  for (LegacyEntry& item : legacy.entries) {
    ArchiveEntry entry;
    entry.record.name = item.name;
    entry.record.kind = EntryKind::kMask;
    entry.record.dtype = item.mask.volume().dtype();
    entry.record.labels = item.mask.labels();
    entry.record.stats = compute_label_stats(item.mask.volume());
    for (const Label& label : item.mask.labels()) {
      if (!names.insert(label.name).second) {
        throw UnsupportedError(path + ": structure '" + label.name +
                                   "' appears in two entries of this medmask 0.1.x archive; names "
                                   "must be unique here: read it with read_medmask_v1",
                               path);
      }
      structure_order.push_back(label.name);
    }
    entry.open = OpenVolume{item.mask.volume(), false};
    entries.add(std::move(entry));
  }
  layers_loaded = true;
  rebuild();
}

// FORMAT.md 7: header, then index checksum, then index size, then the index itself.
void MaskArchive::Impl::open_existing() {
  if (is_medmask_v1_file(path)) {
    open_legacy();
    return;
  }
  file = container::FileReader(path);
  const auto head = file.read(
      0, static_cast<std::size_t>(std::min<std::uint64_t>(file.size(), container::kHeaderSize)));
  // The size is taken after the header: a writer appending in place may have grown the file and
  // written its new header since this reader opened it (FORMAT.md 10.1).
  file.refresh_size();
  header = container::decode_header(head, file.size(), path, limits);
  const auto index_bytes =
      file.read(header->index_offset, static_cast<std::size_t>(header->index_length));
  const std::uint64_t computed = detail::xxh3_64(index_bytes.data(), index_bytes.size());
  if (computed != header->index_xxh3) {
    container::throw_at<FormatError>(path, "index section", header->index_offset,
                                     "checksum mismatch; stored " +
                                         detail::hex64(header->index_xxh3) + ", computed " +
                                         detail::hex64(computed));
  }
  const std::string text = container::decompress_index(
      index_bytes, header->index_raw_length, header->required_features, path, header->index_offset);
  container::IndexRecord index = container::decode_index_json(
      text, path, header->index_offset, header->file_length, limits,
      (header->required_features & container::kFeatureSplitStructures) != 0,
      (header->required_features & container::kFeatureLayerReferences) != 0);
  if (index.version_major != header->version_major ||
      index.version_minor != header->version_minor) {
    container::throw_at<FormatError>(
        path, "index field version", header->index_offset,
        "disagrees with the header; expected [" + std::to_string(header->version_major) + ", " +
            std::to_string(header->version_minor) + "], found [" +
            std::to_string(index.version_major) + ", " + std::to_string(index.version_minor) + "]");
  }
  space = index.space;
  entries = container::EntryTable();
  for (EntryRecord& record : index.entries) {
    entries.add(ArchiveEntry{0, std::move(record), true, {}, {}});
  }
  structure_order = std::move(index.structure_order);
  groups = std::move(index.groups);
  rebuild();
  // The file's layout, for what is added or coded again when the options leave it open: a layer
  // per structure when every layer holds at most one structure with voxels (and one does).
  bool any = false, crowded = false;
  for (const ArchiveEntry& entry : entries.all()) {
    if (!entry.is_layer()) continue;
    any = any || !entry.record.stats.empty();
    crowded = crowded || entry.record.stats.size() > 1;
  }
  if (any) file_layer_per_structure = !crowded;
}

void MaskArchive::Impl::rebuild() {
  structures.rebuild(entries, structure_order, groups, space.voxel_volume_mm3());
  // The chunk cache stays: it is keyed by entry id, and an entry's stored bytes never change
  // while it is open (commit clears it).
}

void MaskArchive::Impl::require_writable() const {
  if (mode == OpenMode::kRead) {
    throw ArgumentError(
        path + ": the archive is open for reading only; reopen it to write or append", path);
  }
}

void MaskArchive::Impl::require_grid_shape(const std::string& name,
                                           const LabelVolume& binary) const {
  try {
    // The one axis-order rule (medmask/space.hpp): (z, y, x) only, a transposed array refused.
    space_for_array(space, binary.shape_zyx(), ArrayAxisOrder::kZyx,
                    path + ": structure '" + name + "'");
  } catch (const ArgumentError& error) {
    throw ArgumentError(error.what(), path);
  }
}

// Names are data (FORMAT.md 4.4): the writer refuses what its reader would refuse.
void MaskArchive::Impl::require_valid_name(const std::string& name, const char* what) const {
  if (const auto problem = name_problem(name)) {
    throw ArgumentError(path + ": " + what + " name '" + printable_name(name) + "' " + *problem,
                        path);
  }
  if (name.size() > limits.max_name_bytes) {
    throw ArgumentError(path + ": " + what + " name of " + std::to_string(name.size()) +
                            " bytes exceeds the limit of " + std::to_string(limits.max_name_bytes),
                        path);
  }
}

void MaskArchive::Impl::require_new_name(const std::string& name) const {
  require_valid_name(name, "structure");
  if (const StructureInfo* found = structures.find(name)) {
    const StructureInfo& info = *found;
    throw ArgumentError(
        path + ": '" + name + "' already exists " +
            (info.is_group() ? std::string("as a group") : "in entry '" + info.entry + "'") +
            "; names are unique per archive",
        path);
  }
}

const ArchiveEntry& MaskArchive::Impl::find_entry(const std::string& name) const {
  const ArchiveEntry* entry = entries.find(name);
  if (entry == nullptr) {
    const std::vector<std::string> names = entries.names();
    throw NotFoundError(path + ": unknown entry '" + name + "'" +
                            detail::did_you_mean(names, name) + "; known: " + known_names(names),
                        path);
  }
  return *entry;
}

const StructureInfo& MaskArchive::Impl::find_structure(const std::string& name) const {
  const StructureInfo* found = structures.find(name);
  if (found == nullptr) {
    std::vector<std::string> names;
    for (const StructureInfo& info : structures.all()) names.push_back(info.name);
    throw NotFoundError(path + ": unknown structure '" + name + "'" +
                            detail::did_you_mean(names, name) + "; known: " + known_names(names),
                        path);
  }
  return *found;
}

const std::string& MaskArchive::Impl::stored_name(const std::string& name) const {
  const std::size_t slash = name.find('/');
  if (slash == std::string::npos || structures.contains(name)) return name;
  const StructureInfo* plain = structures.find(name.substr(slash + 1));
  if (plain != nullptr && plain->entry == std::string_view(name).substr(0, slash)) {
    return plain->name;
  }
  return name;
}

std::string MaskArchive::Impl::entry_field(const ArchiveEntry& entry) const {
  return "data section of entry '" + entry.record.name + "'";
}

// The stored data section of an entry, checksum verified (FORMAT.md 6).
std::vector<std::uint8_t> MaskArchive::Impl::read_section(const ArchiveEntry& entry) const {
  const EntryRecord& record = entry.record;
  auto bytes = file.read(record.offset, static_cast<std::size_t>(record.length));
  const std::uint64_t computed = detail::xxh3_64(bytes.data(), bytes.size());
  if (computed != record.xxh3) {
    container::throw_at<FormatError>(path, entry_field(entry), record.offset,
                                     "checksum mismatch; stored " + detail::hex64(record.xxh3) +
                                         ", computed " + detail::hex64(computed));
  }
  return bytes;
}

// The whole label volume of an entry. For open volumes this shares the writer's buffer.
LabelVolume MaskArchive::Impl::decode_entry(const ArchiveEntry& entry) const {
  if (entry.open) return entry.open->volume;
  const EntryRecord& record = entry.record;
  const bool cm = record.coding == container::kCodingMedmaskCm ||
                  record.coding == container::kCodingMedmaskTiles;
  if (!cm && record.coding != container::kCodingZstd) {
    container::throw_at<UnsupportedError>(
        path, entry_field(entry), record.offset,
        "unknown coding \"" + record.coding + "\"; this reader decodes \"zstd\", \"" +
            std::string(container::kCodingMedmaskCm) + "\" and \"" +
            std::string(container::kCodingMedmaskTiles) + "\"");
  }
  std::vector<std::uint8_t> read;
  if (entry.in_file) read = read_section(entry);
  const std::span<const std::uint8_t> bytes = entry.in_file ? read : entry.encoded;
  const std::uint64_t offset = entry.in_file ? record.offset : 0;
  if (cm) {
    // A layer coded against an earlier layer needs that layer's voxels (FORMAT.md 5.3.1).
    std::optional<LabelVolume> reference;
    if (record.reference.present()) reference = decode_entry(reference_of(entry));
    return container::decode_cm_section(bytes, record, space.shape_zyx(), path, entry_field(entry),
                                        offset, threads, reference ? &*reference : nullptr);
  }
  return container::decode_volume(bytes, record.dtype, space.shape_zyx(), path, entry_field(entry),
                                  offset);
}

// Codes volume as options ask, filling the coding fields of record; returns the section.
std::vector<std::uint8_t> MaskArchive::Impl::encode_entry(
    const LabelVolume& volume, EntryRecord& record, const ReferenceCandidates* candidates) const {
  record.reference = {};
  record.dtype = volume.dtype();
  record.raw_length = volume.byte_size();
  record.chunk_depth = 0;
  record.chunks.clear();
  record.level.clear();
  record.tile_y = record.tile_x = 0;
  if (options.coding == Coding::kZstd) {
    record.coding = std::string(container::kCodingZstd);
    return container::encode_volume(volume, options.zstd_level);
  }
  const bool tiled = options.coding == Coding::kMedmaskTiles;
  record.coding = std::string(tiled ? container::kCodingMedmaskTiles : container::kCodingMedmaskCm);
  // A layer per structure: its tiles span whole slices, and its z-chunks cut the structure's box
  // into pieces of about kVoxelsPerPiece, so that one structure keeps several threads busy
  // (FORMAT.md 10.2).
  const bool whole = layer_per_structure();
  std::uint32_t depth = 0;
  const auto cut = [&](bool whole_slices) {
    const auto whole_axis = [&volume](std::size_t axis) {  // in one piece (FORMAT.md 4.3.2)
      return static_cast<std::uint32_t>(
          std::clamp<std::int64_t>(volume.shape_zyx()[axis], 1, 0x7FFFFFFF));
    };
    depth = options.chunk_depth != 0 ? options.chunk_depth
            : whole_slices           ? depth_for_pieces(volume.shape_zyx(), record.stats)
            : tiled                  ? default_tiled_chunk_depth()
                                     : default_chunk_depth(options.level);
    if (!tiled) return;
    // Equal tiles along each axis, none larger than tile_size (FORMAT.md 5.3).
    const std::uint32_t most = options.tile_size != 0 ? options.tile_size
                               : whole_slices         ? std::max(whole_axis(1), whole_axis(2))
                                                      : default_tile_size(options.level);
    const auto balanced = [most](std::int64_t extent) {
      const auto n = static_cast<std::uint64_t>(extent);
      const std::uint64_t count = (n + most - 1) / most;
      return static_cast<std::uint32_t>((n + count - 1) / count);
    };
    record.tile_y = balanced(volume.shape_zyx()[1]);
    record.tile_x = balanced(volume.shape_zyx()[2]);
  };
  cut(whole);
  std::uint64_t labelled = 0;  // from the index's stats: no scan for a layer of a few voxels
  for (const auto& item : record.stats) labelled += item.second.voxels;
  // A layer is coded against the earlier layer that predicts it best, if any does (FORMAT.md
  // 10.2): a second model's aorta beside the first costs its differences. The reference must
  // have the layer's tiles; a layer per structure whose z-chunks are its own choice takes the
  // reference's instead.
  const bool depth_is_free = whole && options.chunk_depth == 0;
  std::optional<LabelVolume> predicted;
  if (tiled && candidates != nullptr && labelled >= container::kMinPredictedVoxels) {
    ReferenceCandidates same_tiles;
    for (const container::ReferenceCandidate& c : *candidates) {
      if ((depth_is_free || c.chunk_depth == depth) && c.tile_y == record.tile_y &&
          c.tile_x == record.tile_x) {
        same_tiles.push_back(c);
      }
    }
    if (auto chosen = container::choose_reference(volume, record.stats, same_tiles)) {
      const auto from = std::find_if(same_tiles.begin(), same_tiles.end(),
                                     [&](const auto& c) { return c.entry == chosen->entry; });
      predicted = container::predict_volume(*from->volume, *chosen, volume.dtype());
      record.reference = std::move(*chosen);
      depth = from->chunk_depth;
    }
  }
  // A shared layer of a few voxels (where overlapping structures meet) is cut as a layer per
  // structure: its tiles give no thread work worth a stream each.
  if (tiled && !whole && !predicted && labelled < kFewVoxels && options.chunk_depth == 0 &&
      options.tile_size == 0) {
    cut(true);
  }
  container::CmSection section =
      container::encode_cm_section(volume, depth, record.tile_y, record.tile_x, options.level,
                                   threads, predicted ? &*predicted : nullptr);
  record.chunk_depth = depth;
  record.chunks = std::move(section.chunks);
  record.level = std::move(section.level);
  return std::move(section.bytes);
}

// The entry holding a structure's part; it exists while the index lists the part.
ArchiveEntry& MaskArchive::Impl::entry_of(const StructurePart& part) {
  return *entries.find(part.entry);
}

// The layer an entry is coded against (the index checked that it is an earlier layer).
const ArchiveEntry& MaskArchive::Impl::reference_of(const ArchiveEntry& entry) const {
  const ArchiveEntry* reference = entries.find(entry.record.reference.entry);
  if (reference == nullptr) {
    container::throw_at<FormatError>(
        path, entry_field(entry), entry.record.offset,
        "its reference layer \"" + entry.record.reference.entry + "\" is missing");
  }
  return *reference;
}

// Decodes an entry for writing, once. Layers open all together, before any is changed: a layer
// coded against another must be decoded while that one still holds its stored voxels.
OpenVolume& MaskArchive::Impl::open_entry(ArchiveEntry& entry) {
  if (entry.is_layer() && !layers_loaded) ensure_layers_loaded();
  if (!entry.open) entry.open = OpenVolume{decode_entry(entry).clone(), false};
  return *entry.open;
}

void MaskArchive::Impl::ensure_layers_loaded() {
  if (layers_loaded) return;
  layers_loaded = true;
  for (ArchiveEntry& entry : entries.all()) {
    if (entry.is_layer() && !entry.open) {
      entry.open = OpenVolume{decode_entry(entry).clone(), false};
    }
  }
}

ArchiveEntry& MaskArchive::Impl::new_layer() {
  ArchiveEntry entry;
  entry.record.name = entries.free_layer_name();
  entry.record.kind = EntryKind::kLayer;
  entry.record.dtype = DType::kUInt8;
  entry.open = OpenVolume{LabelVolume(DType::kUInt8, space.shape_zyx()), true};
  return entries.add(std::move(entry));
}

// FORMAT.md 10.2: the structure's voxels into the layers, as parts; stored.value is the value
// asked for its first part (0: the smallest free one).
void MaskArchive::Impl::place(const std::string& name, const detail::Runs& runs,
                              const Label& stored) {
  std::vector<const LabelVolume*> layer_volumes;
  std::vector<container::EntryId> layer_ids;  // in entry order
  for (const ArchiveEntry& entry : entries.all()) {
    if (!entry.is_layer()) continue;
    layer_ids.push_back(entry.id);
    layer_volumes.push_back(&entry.open.value().volume);  // ensure_layers_loaded opened them
  }
  auto placements = container::place_structure(layer_volumes, runs, layer_per_structure());
  // A layer per structure: an empty structure joins the last layer (the structure added before
  // it), so that entries list structures in the order they were added and the index needs no
  // structure_order (FORMAT.md 10.2; 356 of the sample case's 1,667 index bytes). It takes a new
  // layer rather than widen the last one's values.
  if (layer_per_structure() && runs.empty() && !layer_ids.empty()) {
    const ArchiveEntry& last = entries.at(layer_ids.back());
    const bool fits = free_value(last.record.labels, stored.value) <=
                      dtype_max_value(last.open.value().volume.dtype());
    placements = {{fits ? layer_ids.size() - 1 : layer_ids.size(), {}}};
  }
  bool first = true;
  for (const container::Placement& placement : placements) {
    ArchiveEntry& layer =
        placement.layer < layer_ids.size() ? entries.at(layer_ids[placement.layer]) : new_layer();
    OpenVolume& open = *layer.open;
    EntryRecord& record = layer.record;
    Label part = first ? stored : Label{name, 0, {}, {}, {}};
    part.value = free_value(record.labels, first ? stored.value : 0);
    if (part.value > dtype_max_value(open.volume.dtype())) {
      open.volume = open.volume.converted(dtype_for_max_value(part.value));
    }
    detail::fill_runs(open.volume, placement.runs, part.value);
    const LabelStats stats = detail::stats_of_runs(placement.runs, space.shape_zyx());
    if (stats.voxels > 0) record.stats[part.value] = stats;
    record.labels.add(part);
    record.dtype = open.volume.dtype();
    record.raw_length = open.volume.byte_size();
    open.dirty = true;
    first = false;
  }
}

// A part's voxels and its label leave its entry (the entry is opened for writing).
void MaskArchive::Impl::clear_part(const StructurePart& part, const std::string& name) {
  ArchiveEntry& entry = entry_of(part);
  OpenVolume& open = open_entry(entry);
  detail::fill_runs(open.volume, detail::value_runs(open.volume, part.value, part.stats), 0);
  entry.record.labels.remove(name);
  entry.record.stats.erase(part.value);
  open.dirty = true;
}

// Groups defined by members (not recognised ones, which keep their voxels) change with them.
void MaskArchive::Impl::refresh_group_stats() {
  rebuild();
  const Shape3 shape = space.shape_zyx();
  for (container::GroupRecord& group : groups) {
    if (group.recognised) continue;
    const LabelVolume all = union_of(parts_of(group.members), ZRange{0, shape[0]});
    group.stats = detail::stats_of_runs(detail::inside_runs(all), shape);
  }
}

const container::GroupRecord* MaskArchive::Impl::group_listing(const std::string& member) const {
  for (const container::GroupRecord& group : groups) {
    if (std::find(group.members.begin(), group.members.end(), member) != group.members.end()) {
      return &group;
    }
  }
  return nullptr;
}

container::IndexRecord MaskArchive::Impl::index_record() const {
  container::IndexRecord index;
  index.space = space;
  for (const ArchiveEntry& entry : entries.all()) index.entries.push_back(entry.record);
  index.structure_order = structure_order;
  index.groups = groups;
  return index;
}

namespace {

std::uint32_t required_features(const container::StructureList& structures,
                                const std::vector<EntryRecord>& records) {
  std::uint32_t features = structures.any_split() ? container::kFeatureSplitStructures : 0;
  if (std::any_of(records.begin(), records.end(),
                  [](const EntryRecord& r) { return r.reference.present(); })) {
    features |= container::kFeatureLayerReferences;
  }
  return features;
}

// The index section and the header pointing at it, for a file whose sections end at `end`.
struct IndexAndHeader {
  std::vector<std::uint8_t> index;
  std::array<std::uint8_t, container::kHeaderSize> header;
};

IndexAndHeader make_index(const container::IndexRecord& index, std::uint32_t features,
                          std::uint64_t end, int zstd_level) {
  const std::string text = container::encode_index_json(index);
  IndexAndHeader out;
  out.index = container::compress_index(text, zstd_level);
  container::Header header;
  header.required_features = features | container::kFeatureIndexDictionary;
  header.index_offset = end;
  header.index_length = out.index.size();
  header.index_raw_length = text.size();
  header.index_xxh3 = detail::xxh3_64(out.index.data(), out.index.size());
  header.file_length = end + out.index.size();
  out.header = container::encode_header(header);
  return out;
}

}  // namespace

void MaskArchive::Impl::commit(bool provisional) {
  if (mode == OpenMode::kRead || (!dirty && !index_provisional)) return;
  if (provisional && !dirty) return;  // the provisional index already describes every change
  // A provisional commit compresses the index at a fast level; a full commit (this one or a
  // later one, the destructor's included) writes it at the configured level again.
  commit_index_level = provisional ? std::min(container::kProvisionalIndexLevel, options.zstd_level)
                                   : options.zstd_level;
  recognise_unions();
  if (mode == OpenMode::kAppend && header && !force_rewrite) {
    commit_in_place();
  } else {
    commit_rewrite();
  }
}

// The in-place lock taken, and the header on disk still the one read at opening: otherwise
// another writer committed since, and writing would lose its work.
std::unique_ptr<container::InPlaceFile> MaskArchive::Impl::lock_unchanged() const {
  auto out = std::make_unique<container::InPlaceFile>(path);
  const auto on_disk = out->read(0, container::kHeaderSize);
  const auto expected = container::encode_header(*header);
  if (!std::equal(expected.begin(), expected.end(), on_disk.begin())) {
    throw IoError(path + ": the file changed since it was opened (another writer?); reopen it",
                  path);
  }
  return out;
}

// FORMAT.md 10.1: the whole file to a temporary, then an atomic rename. Rewriting an opened
// file (compact) holds the writer lock until the rename; creating a missing file in append mode
// is exclusive, so of two creators one gets an error instead of silently losing its write.
void MaskArchive::Impl::commit_rewrite() {
  const bool replaces_opened = header.has_value();
  const std::unique_ptr<container::InPlaceFile> lock = replaces_opened ? lock_unchanged() : nullptr;
  detail::AtomicFileWriter writer(path);
  const std::array<std::uint8_t, container::kHeaderSize> placeholder{};
  writer.append(placeholder.data(), placeholder.size());
  std::vector<EntryRecord> records = write_sections(true, [&](std::span<const std::uint8_t> bytes) {
    const std::uint64_t offset = writer.size();
    writer.append(bytes.data(), bytes.size());
    return offset;
  });
  container::IndexRecord index = index_record();
  index.entries = records;
  const IndexAndHeader tail =
      make_index(index, required_features(structures, records), writer.size(), commit_index_level);
  writer.append(tail.index.data(), tail.index.size());
  writer.write_at(0, tail.header.data(), tail.header.size());
  if (mode == OpenMode::kAppend && !replaces_opened) {
    writer.commit_new();
  } else {
    writer.commit();
  }
  adopt_written(std::move(records));
}

// FORMAT.md 10.1: new sections and a new index after the file's end, made durable, and only
// then the header that points at them. A crash before the header write leaves the old header,
// which ignores every byte past its file_length.
void MaskArchive::Impl::commit_in_place() {
  const std::unique_ptr<container::InPlaceFile> lock = lock_unchanged();
  container::InPlaceFile& out = *lock;
  std::uint64_t end = header->file_length;
  std::vector<EntryRecord> records =
      write_sections(false, [&](std::span<const std::uint8_t> bytes) {
        const std::uint64_t offset = end;
        out.write_at(end, bytes.data(), bytes.size());
        end += bytes.size();
        return offset;
      });
  container::IndexRecord index = index_record();
  index.entries = records;
  const IndexAndHeader tail =
      make_index(index, required_features(structures, records), end, commit_index_level);
  out.write_at(end, tail.index.data(), tail.index.size());
  out.sync();
  out.write_at(0, tail.header.data(), tail.header.size());
  out.sync();
  out.truncate(end + tail.index.size());  // drops leftovers of an earlier interrupted append
  adopt_written(std::move(records));
}

// The one loop writing data sections, for both commit paths: each entry's section goes to
// `write` (which returns the offset it lands at) when it was changed (coded again from its open
// volume) or is pending (add_mask); a section stored in the file is copied (copy_stored: a
// rewrite) or kept where it is (in place). Returns the entries' records as written.
std::vector<EntryRecord> MaskArchive::Impl::write_sections(
    bool copy_stored,
    const std::function<std::uint64_t(std::span<const std::uint8_t>)>& write) const {
  std::vector<EntryRecord> records;
  records.reserve(entries.size());
  // A layer is coded again when it changed, or when the layer it was coded against is coded
  // again or gone (its prediction would no longer hold); each layer coded now may be coded
  // against an earlier layer without a reference. References point to earlier entries, so one
  // pass in entry order settles both. Layers open all together (open_entry).
  std::set<std::string> recoded;
  ReferenceCandidates candidates;
  const auto offer = [&](const ArchiveEntry& entry, const EntryRecord& record) {
    if (entry.is_layer() && entry.open && !record.reference.present() &&
        record.coding == container::kCodingMedmaskTiles) {
      candidates.push_back({record.name, &entry.open->volume, &entry.record.stats,
                            record.chunk_depth, record.tile_y, record.tile_x});
    }
  };
  for (const ArchiveEntry& entry : entries.all()) {
    EntryRecord record = entry.record;
    std::vector<std::uint8_t> fresh;
    std::span<const std::uint8_t> bytes = entry.encoded;
    const container::LayerReference& old = entry.record.reference;
    const bool stale_reference =
        entry.is_layer() && old.present() &&
        (recoded.count(old.entry) != 0 || entries.find(old.entry) == nullptr);
    if (stale_reference && !entry.open) {
      throw std::logic_error("medmask: layer \"" + record.name + "\" is not open at commit");
    }
    if (entry.changed() || stale_reference) {
      fresh = encode_entry(entry.open->volume, record, entry.is_layer() ? &candidates : nullptr);
      bytes = fresh;
      recoded.insert(record.name);
    } else if (entry.in_file) {
      if (!copy_stored) {
        offer(entry, record);
        records.push_back(std::move(record));
        continue;
      }
      // Copied without recoding, whatever the coding (chunk offsets are relative to the
      // section); the checksum is verified so corruption is not propagated.
      fresh = read_section(entry);
      bytes = fresh;
    }
    record.offset = write(bytes);
    record.length = bytes.size();
    record.xxh3 = detail::xxh3_64(bytes.data(), bytes.size());
    offer(entry, record);
    records.push_back(std::move(record));
  }
  return records;
}

// The written file is now the archive: later reads and appends use it.
void MaskArchive::Impl::adopt_written(std::vector<EntryRecord> records) {
  file = container::FileReader(path);
  const auto head = file.read(0, container::kHeaderSize);
  header = container::decode_header(head, file.size(), path, limits);
  std::size_t i = 0;
  for (ArchiveEntry& entry : entries.all()) {
    entry.record = std::move(records[i++]);
    entry.in_file = true;
    entry.encoded = {};
    if (entry.open) entry.open->dirty = false;
  }
  dirty = false;
  index_provisional = commit_index_level != options.zstd_level;
  force_rewrite = false;
  cache.clear();
}

MaskArchive::MaskArchive(std::string path, OpenMode mode, std::optional<Space> space,
                         WriteOptions options, ReadLimits limits)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = std::move(path);
  s.mode = mode;
  s.options = options;
  s.limits = limits;
  s.threads = resolve_threads(options.threads);
  if (mode != OpenMode::kRead) {
    container::zstd_compress("", 0, options.zstd_level);  // rejects a bad level now, not at commit
  }
  const bool create =
      mode == OpenMode::kWrite || (mode == OpenMode::kAppend && !file_exists(s.path));
  if (mode == OpenMode::kRead && space) {
    throw ArgumentError(s.path + ": a space is given for reading; it comes from the file", s.path);
  }
  if (create) {
    if (!space) throw ArgumentError(s.path + ": a new archive needs a space", s.path);
    s.space = *space;
    s.dirty = true;  // even an empty archive replaces the file
    s.layers_loaded = true;
    return;
  }
  s.open_existing();
  if (space && !space->is_close(s.space)) {
    throw ArgumentError(s.path + ": the given space " + space->to_string() +
                            " differs from the archive's " + s.space.to_string(),
                        s.path);
  }
}

MaskArchive::MaskArchive(std::string path, ReadOptions options, ReadLimits limits)
    : MaskArchive(std::move(path), OpenMode::kRead, std::nullopt,
                  WriteOptions{.threads = options.threads}, limits) {}

void MaskArchive::discard() noexcept {
  if (!impl_) return;
  impl_->dirty = false;
  impl_->index_provisional = false;
  impl_->mode = OpenMode::kRead;
}

MaskArchive::~MaskArchive() {
  if (!impl_) return;
  try {
    impl_->commit();
  } catch (...) {  // NOLINT(bugprone-empty-catch): documented; call commit() to see errors
  }
}

MaskArchive::MaskArchive(MaskArchive&&) noexcept = default;

MaskArchive& MaskArchive::operator=(MaskArchive&& other) noexcept {
  if (this != &other) {
    if (impl_) {
      try {
        impl_->commit();
      } catch (...) {  // as in the destructor
      }
    }
    impl_ = std::move(other.impl_);
  }
  return *this;
}

const std::string& MaskArchive::path() const noexcept { return impl_->path; }
OpenMode MaskArchive::mode() const noexcept { return impl_->mode; }
const Space& MaskArchive::space() const noexcept { return impl_->space; }

void MaskArchive::add_mask(const std::string& entry_name, const SegmentationMask& mask) {
  Impl& s = *impl_;
  s.require_writable();
  s.require_valid_name(entry_name, "entry");
  if (s.entries.find(entry_name) != nullptr) {
    throw ArgumentError(s.path + ": entry '" + entry_name + "' already exists", s.path);
  }
  if (mask.volume().shape_zyx() != s.space.shape_zyx() || !mask.space().is_close(s.space)) {
    throw ArgumentError(s.path + ": mask '" + entry_name + "' has space " +
                            mask.space().to_string() + " with volume shape (z, y, x) " +
                            shape_text(mask.volume().shape_zyx()) + "; expected the archive's " +
                            s.space.to_string(),
                        s.path);
  }
  // Entries are namespaces: a name already taken is stored qualified by this entry.
  LabelTable labels;
  for (Label label : mask.labels()) {
    if (s.structures.contains(label.name)) label.name = entry_name + "/" + label.name;
    s.require_new_name(label.name);
    labels.add(std::move(label));
  }

  ArchiveEntry entry;
  EntryRecord& record = entry.record;
  record.name = entry_name;
  record.kind = EntryKind::kMask;
  record.labels = std::move(labels);
  record.stats = compute_label_stats(mask.volume());
  entry.encoded = s.encode_entry(mask.volume(), record);
  record.length = entry.encoded.size();
  record.xxh3 = detail::xxh3_64(entry.encoded.data(), entry.encoded.size());
  for (const Label& label : s.entries.add(std::move(entry)).record.labels) {
    s.structure_order.push_back(label.name);
  }
  s.rebuild();
  s.dirty = true;
}

SegmentationMask MaskArchive::load_mask(const std::string& entry_name) const {
  const Impl& s = *impl_;
  const ArchiveEntry& entry = s.find_entry(entry_name);
  LabelVolume volume = s.decode_labelled_chunks(entry);
  if (entry.open) volume = volume.clone();  // never hand out the writer's own buffer
  // The names as added: without the entry qualifier of names other entries took first.
  const std::string prefix = entry_name + "/";
  LabelTable labels;
  for (Label label : entry.record.labels) {
    if (label.name.starts_with(prefix)) label.name.erase(0, prefix.size());
    labels.add(std::move(label));
  }
  return SegmentationMask(std::move(volume), std::move(labels), s.space);
}

std::vector<std::string> MaskArchive::entry_names() const { return impl_->entries.names(); }

std::vector<EntryInfo> MaskArchive::entries() const {
  std::vector<EntryInfo> infos;
  for (const ArchiveEntry& entry : impl_->entries.all()) {
    const EntryRecord& record = entry.record;
    const bool written = (entry.in_file || !entry.encoded.empty()) && !entry.changed();
    EntryInfo info{record.name, record.dtype, std::nullopt, std::nullopt, std::string(), 0, {}};
    if (written) {
      info.coding = coding_from_name(record.coding);
      info.level = compression_level_from_name(record.level);
      info.coding_name = record.coding;
      info.stored_bytes = record.length;
      info.reference = record.reference.entry;
    }
    infos.push_back(std::move(info));
  }
  return infos;
}

void MaskArchive::add_structure(const std::string& name, const LabelVolume& binary,
                                const Label& label, bool recognise_unions) {
  Impl& s = *impl_;
  s.require_writable();
  s.require_new_name(name);
  s.require_grid_shape(name, binary);
  s.ensure_layers_loaded();
  const detail::Runs runs = detail::inside_runs(binary);
  Label stored = label;
  stored.name = name;

  if (recognise_unions && !runs.empty()) {
    const std::vector<std::size_t> members = s.union_members(runs, "");
    if (!members.empty()) {
      s.add_recognised_group(stored, members, runs);
      s.rebuild();
      s.dirty = true;
      return;
    }
  }
  if (!recognise_unions) s.keep_voxels.insert(name);
  s.requested_values[name] = label.value;
  s.place(name, runs, stored);
  s.structure_order.push_back(name);
  s.rebuild();
  s.dirty = true;
}

void MaskArchive::add_group(const std::string& name, std::span<const std::string> members,
                            const Label& label) {
  Impl& s = *impl_;
  s.require_writable();
  s.require_new_name(name);
  if (members.empty()) {
    throw ArgumentError(s.path + ": group '" + name + "' needs at least one member", s.path);
  }
  container::GroupRecord group;
  group.label = label;
  group.label.name = name;
  group.label.value = 0;
  std::vector<std::string> stored;  // members by their stored names
  for (const std::string& given : members) {
    const std::string& member = s.stored_name(given);
    if (!s.structures.contains(member)) {
      throw ArgumentError(s.path + ": group '" + name + "' names '" + member +
                              "', which is neither a structure nor a group of this archive",
                          s.path);
    }
    if (std::find(group.members.begin(), group.members.end(), member) == group.members.end()) {
      group.members.push_back(member);
    }
    stored.push_back(member);
  }
  if (group_depth(s.groups, stored, s.limits.max_group_depth) > s.limits.max_group_depth) {
    throw LimitError(s.path + ": group '" + name + "' would nest groups deeper than the limit of " +
                         std::to_string(s.limits.max_group_depth) + " levels",
                     s.path);
  }
  const LabelVolume all = read_structures(stored);
  group.stats = detail::stats_of_runs(detail::inside_runs(all), s.space.shape_zyx());
  s.groups.push_back(std::move(group));
  s.rebuild();
  s.dirty = true;
}

void MaskArchive::remove(const std::string& name) {
  Impl& s = *impl_;
  s.require_writable();
  // A structure in several layers is taken out of each in turn; a layer that fails to decode
  // must not leave it half removed.
  s.all_or_nothing([&] { s.remove_structure(s.stored_name(name), false); });
}

// replacing: the name comes back at once, so groups listing it stay valid.
void MaskArchive::Impl::remove_structure(const std::string& name, bool replacing) {
  if (const container::GroupRecord* group = group_listing(name);
      group && !group->recognised && !replacing) {
    throw ArgumentError(path + ": '" + name + "' is a member of group '" + group->label.name +
                            "'; remove the group first",
                        path);
  }
  materialise_recognised_groups_of(name);
  const StructureInfo info = find_structure(name);
  if (info.is_group()) {
    std::erase_if(groups, [&](const container::GroupRecord& g) { return g.label.name == name; });
  } else {
    for (const StructurePart& part : info.parts) clear_part(part, name);
    std::erase(structure_order, name);
    keep_voxels.erase(name);
    requested_values.erase(name);
    entries.drop_empty_layers();
  }
  rebuild();
  dirty = true;
}

void MaskArchive::replace_structure(const std::string& given_name, const LabelVolume& binary) {
  Impl& s = *impl_;
  s.require_writable();
  const std::string name = s.stored_name(given_name);
  const StructureInfo info = s.find_structure(name);
  const auto group = std::find_if(s.groups.begin(), s.groups.end(),
                                  [&](const auto& g) { return g.label.name == name; });
  if (info.is_group() && (group == s.groups.end() || !group->recognised)) {
    throw ArgumentError(s.path + ": '" + name + "' is a group; groups are defined by members",
                        s.path);
  }
  s.require_grid_shape(name, binary);
  // Removing and adding touch several layers and groups, and any step may fail (a section that
  // does not decode, a limit).
  s.all_or_nothing([&] {
    // A recognised group becomes a structure again, listed last; a structure keeps its place.
    const auto position = std::find(s.structure_order.begin(), s.structure_order.end(), name) -
                          s.structure_order.begin();
    s.remove_structure(name, true);
    Label label = info.label;
    if (info.is_group()) label.value = 0;
    add_structure(name, binary, label, false);
    s.structure_order.pop_back();
    s.structure_order.insert(
        s.structure_order.begin() +
            std::min<std::ptrdiff_t>(position, std::ptrdiff_t(s.structure_order.size())),
        name);
    s.refresh_group_stats();
    s.rebuild();
  });
}

std::vector<StructureInfo> MaskArchive::structures() const {
  const auto all = impl_->structures.all();
  return {all.begin(), all.end()};
}

const StructureInfo& MaskArchive::structure(const std::string& name) const {
  return impl_->find_structure(impl_->stored_name(name));
}

bool MaskArchive::contains(const std::string& name) const noexcept {
  return impl_->structures.contains(impl_->stored_name(name));
}

std::string MaskArchive::resolve_name(const std::string& name) const {
  const Impl& s = *impl_;
  const StructureInfo& info = s.find_structure(s.stored_name(name));  // NotFoundError if unknown
  if (info.is_group() || name.find('/') != std::string::npos) return info.name;
  // Other entries whose structure of this name was stored qualified ("<entry>/<name>").
  std::string listed = "'" + info.entry + "/" + name + "'";
  std::size_t count = 1;
  for (const ArchiveEntry& entry : s.entries.all()) {
    const std::string qualified = entry.record.name + "/" + name;
    if (s.structures.contains(qualified)) {
      listed += ", '" + qualified + "'";
      ++count;
    }
  }
  if (count == 1) return info.name;
  throw NotFoundError(s.path + ": '" + name + "' is ambiguous: " + std::to_string(count) +
                          " entries hold a structure of that name; use one of " + listed,
                      s.path);
}

void MaskArchive::commit() { impl_->commit(); }
void MaskArchive::commit_provisional() { impl_->commit(true); }

void MaskArchive::compact() {
  Impl& s = *impl_;
  if (s.mode == OpenMode::kRead) return;
  const bool had_changes = s.dirty;
  s.dirty = true;
  s.force_rewrite = true;
  try {
    s.commit();
  } catch (...) {
    // A refused compaction (e.g. another writer changed the file) leaves nothing of its own to
    // write, so close() and the destructor do not retry it; the caller's own changes stay pending.
    s.force_rewrite = false;
    s.dirty = had_changes;
    throw;
  }
}

void MaskArchive::reorder_structures(std::span<const std::string> first) {
  Impl& s = *impl_;
  s.require_writable();
  std::vector<std::string> order;
  for (const std::string& name : first) {
    if (structure(name).is_group()) {  // NotFoundError for an unknown name
      throw ArgumentError("'" + name + "' is a group: only structures are reordered");
    }
    if (std::find(order.begin(), order.end(), name) != order.end()) {
      throw ArgumentError("'" + name + "' is named twice in the new order");
    }
    order.push_back(name);
  }
  for (const std::string& name : s.structure_order) {
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
  }
  if (order == s.structure_order) return;
  s.structure_order = std::move(order);
  s.rebuild();
  s.dirty = true;
}

void MaskArchive::recode() {
  Impl& s = *impl_;
  s.require_writable();
  for (ArchiveEntry& entry : s.entries.all()) s.open_entry(entry).dirty = true;
  s.dirty = true;
  s.force_rewrite = true;
  s.commit();
}

std::uint64_t MaskArchive::unreferenced_bytes() const {
  const Impl& s = *impl_;
  if (!s.header) return 0;
  std::uint64_t used = container::kHeaderSize + s.header->index_length;
  for (const ArchiveEntry& entry : s.entries.all()) {
    if (entry.in_file) used += entry.record.length;
  }
  return s.header->file_length > used ? s.header->file_length - used : 0;
}

}  // namespace medmask
