// MaskArchive queries that decode voxels: masks by name (whole, a z-range or a box), labels at a
// voxel, overlaps. Only the units a request meets (z-chunks, or their y/x tiles since format 1.3)
// are decoded, in parallel, and kept in the cache.
#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "codec/tiling.hpp"
#include "container/archive_impl.hpp"
#include "container/cm_section.hpp"
#include "container/error_message.hpp"
#include "container/format_constants.hpp"
#include "container/slab_scatter.hpp"
#include "core/dtype_dispatch.hpp"
#include "detail/parallel_for.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"

namespace medmask {

using container::ArchiveEntry;
using container::PartMask;
using container::PartRef;
using container::Slab;

namespace {

using ChunkKeys = std::vector<std::pair<std::size_t, std::size_t>>;

bool contains_point(const LabelStats& stats, std::int64_t z, std::int64_t y, std::int64_t x) {
  return stats.voxels > 0 && z >= stats.bbox_min_zyx[0] && z <= stats.bbox_max_zyx[0] &&
         y >= stats.bbox_min_zyx[1] && y <= stats.bbox_max_zyx[1] && x >= stats.bbox_min_zyx[2] &&
         x <= stats.bbox_max_zyx[2];
}

// The intersection of two boxes; voxels = 0 when they do not meet.
LabelStats intersection(const LabelStats& a, const LabelStats& b) {
  LabelStats out;
  if (a.voxels == 0 || b.voxels == 0) return out;
  for (std::size_t i = 0; i < 3; ++i) {
    out.bbox_min_zyx[i] = std::max(a.bbox_min_zyx[i], b.bbox_min_zyx[i]);
    out.bbox_max_zyx[i] = std::min(a.bbox_max_zyx[i], b.bbox_max_zyx[i]);
    if (out.bbox_min_zyx[i] > out.bbox_max_zyx[i]) return LabelStats{};
  }
  out.voxels = 1;
  return out;
}

// The smallest box holding both (non-empty) boxes.
LabelStats bounding_union(const LabelStats& a, const LabelStats& b) {
  LabelStats out;
  for (std::size_t i = 0; i < 3; ++i) {
    out.bbox_min_zyx[i] = std::min(a.bbox_min_zyx[i], b.bbox_min_zyx[i]);
    out.bbox_max_zyx[i] = std::max(a.bbox_max_zyx[i], b.bbox_max_zyx[i]);
  }
  out.voxels = a.voxels + b.voxels;
  return out;
}

// Calls row(z, y, x_begin, x_end) for each row of box within slices [z_begin, z_end).
template <class RowFn>
void for_each_row(const LabelStats& box, std::int64_t z_begin, std::int64_t z_end, RowFn&& row) {
  const std::int64_t z0 = std::max(box.bbox_min_zyx[0], z_begin);
  const std::int64_t z1 = std::min(box.bbox_max_zyx[0] + 1, z_end);
  for (std::int64_t z = z0; z < z1; ++z) {
    for (std::int64_t y = box.bbox_min_zyx[1]; y <= box.bbox_max_zyx[1]; ++y) {
      row(z, y, box.bbox_min_zyx[2], box.bbox_max_zyx[2] + 1);
    }
  }
}

// Throws ArgumentError unless 0 <= begin <= end <= size along axis (0 = z, 1 = y, 2 = x).
void check_range(const std::string& path, std::size_t axis, ZRange range, std::int64_t size) {
  const std::string name = std::string(1, "zyx"[axis]) + " range [" + std::to_string(range.begin) +
                           ", " + std::to_string(range.end) + ")";
  if (range.begin > range.end) {
    throw ArgumentError(
        path + ": " + name + " is reversed: begin must not exceed end (end is exclusive)", path);
  }
  if (range.begin < 0 || range.end > size) {
    const char* unit = axis == 0 ? " slices" : (axis == 1 ? " rows" : " columns");
    throw ArgumentError(
        path + ": " + name + " is outside the grid's 0.." + std::to_string(size) + unit, path);
  }
}

}  // namespace

std::vector<std::string> MaskArchive::Impl::expand(const std::string& name) const {
  std::vector<std::string> out;
  std::unordered_set<std::string_view> seen;
  // Groups were checked for cycles and depth on reading and on adding; `seen` also stops
  // repeats, so each name is visited once (linear). Depth first, members in order.
  std::vector<const std::string*> todo{&name};
  while (!todo.empty()) {
    const std::string& item = *todo.back();
    todo.pop_back();
    const StructureInfo& info = find_structure(item);
    if (!seen.insert(info.name).second) continue;
    if (!info.is_group()) {
      out.push_back(info.name);
      continue;
    }
    for (auto it = info.members.rbegin(); it != info.members.rend(); ++it) todo.push_back(&*it);
  }
  return out;
}

std::vector<PartRef> MaskArchive::Impl::parts_of(const std::vector<std::string>& names) const {
  std::set<std::string> structures_wanted;
  for (const std::string& name : names) {
    for (std::string& structure : expand(name)) structures_wanted.insert(std::move(structure));
  }
  std::vector<PartRef> parts;
  for (const std::string& name : structures_wanted) {
    for (const StructurePart& part : find_structure(name).parts) {
      // The index's statistics are exact: an empty part needs no voxel data.
      if (part.stats.voxels == 0) continue;
      parts.push_back(PartRef{entries.find(part.entry)->id, part.value, part.stats});
    }
  }
  return parts;
}

// The units of an entry meeting box (inclusive) within slices [z_begin, z_end): z-chunks, or the
// non-empty tiles (an empty tile holds only zeros: no request needs it; in a layer with a
// reference it is its prediction, and is listed). Entries without a
// unit table (zstd, pending or open in the writer) are one unit.
std::vector<std::size_t> MaskArchive::Impl::units_for(EntryId entry, const LabelStats& box,
                                                      std::int64_t z_begin,
                                                      std::int64_t z_end) const {
  const ArchiveEntry& e = entries.at(entry);
  z_begin = std::max(z_begin, box.bbox_min_zyx[0]);
  z_end = std::min(z_end, box.bbox_max_zyx[0] + 1);
  if (z_begin >= z_end || box.voxels == 0) return {};
  const bool chunked = e.record.coding == container::kCodingMedmaskCm ||
                       e.record.coding == container::kCodingMedmaskTiles;
  if (e.open || !e.in_file || !chunked) return {0};
  const auto depth = static_cast<std::int64_t>(e.record.chunk_depth);
  std::vector<std::size_t> units;
  if (!e.record.tiled()) {
    for (std::int64_t k = z_begin / depth; k <= (z_end - 1) / depth; ++k) {
      units.push_back(static_cast<std::size_t>(k));
    }
    return units;
  }
  const Shape3 shape = space.shape_zyx();
  const auto u = [](std::int64_t v) { return static_cast<std::size_t>(v); };
  const codec::TileGrid grid({u(shape[2]), u(shape[1]), u(shape[0])},
                             {e.record.tile_x, e.record.tile_y, e.record.chunk_depth});
  for (const std::size_t k :
       grid.meeting(u(z_begin), u(z_end), u(box.bbox_min_zyx[1]), u(box.bbox_max_zyx[1] + 1),
                    u(box.bbox_min_zyx[2]), u(box.bbox_max_zyx[2] + 1))) {
    // An empty tile of a layer with a reference is its prediction, not zeros.
    if (e.record.chunks[k].length != 0 || e.record.reference.present()) units.push_back(k);
  }
  return units;
}

Slab MaskArchive::Impl::slab(EntryId entry, std::size_t chunk) const {
  const ArchiveEntry& e = entries.at(entry);
  if (e.open) return Slab{e.open->volume, {0, 0, 0}};  // the writer's own voxels, shared
  const bool chunked = e.in_file && (e.record.coding == container::kCodingMedmaskCm ||
                                     e.record.coding == container::kCodingMedmaskTiles);
  if (auto cached = cache.find({entry, chunk})) return *cached;
  std::shared_ptr<const Slab> decoded;
  if (chunked) {
    const container::ChunkRecord& record = e.record.chunks.at(chunk);
    const std::uint64_t offset = e.record.offset + record.offset;
    const auto bytes = file.read(offset, static_cast<std::size_t>(record.length));
    // A layer coded against another needs the same tile of it (FORMAT.md 5.3.1).
    std::optional<Slab> reference;
    if (e.record.reference.present() && container::tile_uses_reference(bytes)) {
      reference = slab(reference_of(e).id, chunk);
    }
    decoded = std::make_shared<const Slab>(
        container::decode_cm_chunk(bytes, e.record, chunk, space.shape_zyx(), path, entry_field(e),
                                   offset, reference ? &*reference : nullptr));
  } else {
    decoded = std::make_shared<const Slab>(Slab{decode_entry(e), {0, 0, 0}});
  }
  cache.insert({entry, chunk}, decoded);
  return *decoded;
}

// Decodes the chunks not yet cached, on the archive's threads.
void MaskArchive::Impl::decode_slabs(const ChunkKeys& keys) const {
  ChunkKeys missing;
  for (const auto& key : keys) {
    if (!entries.at(key.first).open && !cache.find(key)) missing.push_back(key);
  }
  // Decoding time follows a chunk's coded size, and a scan's content crowds into a few chunks:
  // the largest go first so that no thread is left with a big one at the end.
  const auto stored_bytes = [&](const std::pair<std::size_t, std::size_t>& key) {
    const container::EntryRecord& record = entries.at(key.first).record;
    return key.second < record.chunks.size() ? record.chunks[key.second].length : record.length;
  };
  std::stable_sort(missing.begin(), missing.end(),
                   [&](const auto& a, const auto& b) { return stored_bytes(a) > stored_bytes(b); });
  // The tiles of the layers others are coded against go first (FORMAT.md 5.3.1): a dependent
  // tile then finds its reference's tile decoded, instead of two threads decoding it.
  ChunkKeys references;
  for (const auto& key : missing) {
    const ArchiveEntry& e = entries.at(key.first);
    if (!e.record.reference.present() || key.second >= e.record.chunks.size()) continue;
    // The stream's mode is its second byte: read no more of a tile slab() reads whole anyway.
    const container::ChunkRecord& tile = e.record.chunks[key.second];
    const auto head = static_cast<std::size_t>(std::min<std::uint64_t>(tile.length, 2));
    if (!container::tile_uses_reference(file.read(e.record.offset + tile.offset, head))) continue;
    const ArchiveEntry& reference = reference_of(e);
    const std::pair<std::size_t, std::size_t> needed{reference.id, key.second};
    if (!reference.open && !cache.find(needed) &&
        std::find(references.begin(), references.end(), needed) == references.end()) {
      references.push_back(needed);
    }
  }
  detail::parallel_for(references.size(), threads,
                       [&](std::size_t i) { slab(references[i].first, references[i].second); });
  detail::parallel_for(missing.size(), threads,
                       [&](std::size_t i) { slab(missing[i].first, missing[i].second); });
}

// The whole label map of an entry (load_mask). The section is read and its checksum verified as
// for any entry (FORMAT.md 7); an in-file "medmask-cm1" entry then has each chunk decoded, on the
// archive's threads, into zero pages where only the chunk's crop box is written (an empty chunk
// writes nothing).
LabelVolume MaskArchive::Impl::decode_labelled_chunks(const ArchiveEntry& entry) const {
  const container::EntryRecord& record = entry.record;
  if (entry.open || !entry.in_file || record.coding != container::kCodingMedmaskCm) {
    return decode_entry(entry);
  }
  const std::vector<std::uint8_t> section = read_section(entry);
  // Every chunk is decoded (a crafted chunk outside the statistics' boxes must still be reported,
  // tests/cpp/test_archive_corrupt.cpp HostileCodecChunks); each writes only its crop box.
  LabelVolume volume(record.dtype, space.shape_zyx());
  detail::parallel_for(record.chunks.size(), threads, [&](std::size_t i) {
    const container::ChunkRecord& chunk = record.chunks[i];
    if (chunk.offset > section.size() || chunk.length > section.size() - chunk.offset) {
      container::throw_at<FormatError>(path, entry_field(entry), record.offset + chunk.offset,
                                       "chunk lies beyond the section");
    }
    const auto bytes = std::span(section).subspan(static_cast<std::size_t>(chunk.offset),
                                                  static_cast<std::size_t>(chunk.length));
    container::decode_cm_chunk_into(bytes, record, i, volume, path, entry_field(entry),
                                    record.offset + chunk.offset);
  });
  return volume;
}

// Sets each part's voxels in its mask, slab by slab: a job is a few slices of one decoded unit,
// scanned once for every part of that entry meeting it, so reading all structures costs one pass
// over the label maps, shared by the threads.
void MaskArchive::Impl::fill_masks(const std::vector<PartMask>& wanted, ZRange range) const {
  // Work is cut in z-windows of kSlicesPerJob slices aligned on the grid, and one job does one
  // window in every entry and unit: parts of one structure in two entries (or members of a group)
  // write the same output bytes, so no two threads may hold the same window.
  constexpr std::int64_t kSlicesPerJob = 8;
  const Shape3 grid = space.shape_zyx();
  std::map<std::size_t, std::vector<const PartMask*>> by_entry;
  for (const PartMask& w : wanted) by_entry[w.part.entry].push_back(&w);
  struct Piece {
    Slab slab;
    std::int64_t z_begin = 0, z_end = 0;
    LabelStats box;  // the rows and columns to scan: the union of the targets' boxes
    std::vector<container::ValueTarget> targets;
  };
  const auto meets = [](const LabelStats& b, const Slab& slab, std::int64_t z0, std::int64_t z1) {
    const Shape3& o = slab.origin_zyx;
    const Shape3& n = slab.volume.shape_zyx();
    return b.bbox_max_zyx[0] >= z0 && b.bbox_min_zyx[0] < z1 && b.bbox_max_zyx[1] >= o[1] &&
           b.bbox_min_zyx[1] < o[1] + n[1] && b.bbox_max_zyx[2] >= o[2] &&
           b.bbox_min_zyx[2] < o[2] + n[2];
  };
  std::map<std::int64_t, std::vector<Piece>> windows;  // window index -> its pieces
  for (const auto& [entry, masks] : by_entry) {
    LabelStats all;  // the box of every wanted part of this entry
    for (const PartMask* m : masks) {
      all = all.voxels == 0 ? m->part.stats : bounding_union(all, m->part.stats);
    }
    for (const std::size_t unit : units_for(entry, all, range.begin, range.end)) {
      const Slab unit_slab = slab(entry, unit);
      const std::int64_t first = std::max({range.begin, all.bbox_min_zyx[0], unit_slab.z0()});
      const std::int64_t last = std::min({range.end, all.bbox_max_zyx[0] + 1, unit_slab.z_end()});
      for (std::int64_t z = first; z < last;) {
        const std::int64_t window = z / kSlicesPerJob;
        Piece piece{unit_slab, z, std::min((window + 1) * kSlicesPerJob, last), LabelStats{}, {}};
        z = piece.z_end;
        for (const PartMask* m : masks) {
          const LabelStats& b = m->part.stats;
          if (!meets(b, unit_slab, piece.z_begin, piece.z_end)) continue;
          piece.targets.push_back({m->part.value, m->mask, range.begin});
          piece.box = piece.box.voxels == 0 ? b : bounding_union(piece.box, b);
        }
        if (!piece.targets.empty()) windows[window].push_back(std::move(piece));
      }
    }
  }
  std::vector<const std::vector<Piece>*> jobs;
  std::uint64_t scanned = 0;  // the voxels the pieces' boxes span: the scan's work
  for (const auto& [window, pieces] : windows) {
    jobs.push_back(&pieces);
    for (const Piece& piece : pieces) {
      const LabelStats& b = piece.box;
      scanned += static_cast<std::uint64_t>((piece.z_end - piece.z_begin) *
                                            (b.bbox_max_zyx[1] - b.bbox_min_zyx[1] + 1) *
                                            (b.bbox_max_zyx[2] - b.bbox_min_zyx[2] + 1));
    }
  }
  // Waking a second thread costs more than a small scan takes: with two threads and this rule,
  // fresh open + one structure of the sample case (C++, best of 2 x 41) took 0.18 ms instead of
  // 0.21 for rib_right_12 and 0.33 instead of 0.37 for sacrum; larger ones moved within noise.
  constexpr std::uint64_t kVoxelsWorthASecondThread = 1u << 17;
  const unsigned scan_threads = scanned < kVoxelsWorthASecondThread ? 1u : threads;
  detail::parallel_for(jobs.size(), scan_threads, [&](std::size_t i) {
    for (const Piece& piece : *jobs[i]) {
      container::scatter_slab(piece.slab.volume, piece.slab.origin_zyx, piece.z_begin, piece.z_end,
                              piece.box, grid[1], grid[2], piece.targets);
    }
  });
}

// A part alone in its mask (a structure of one part) whose units each code 0 and 1 alone (stream
// modes 4 and 6: a layer of its own at levels fast and default) is decoded straight into the mask,
// on the archive's threads: no slab, no scan of it and no cache entry (fresh open + one structure
// of the sample case took about a tenth less time). Returns the parts left for decode_slabs and
// fill_masks: any other part, one whose units are cached, or one outside the slices of `range`.
std::vector<PartMask> MaskArchive::Impl::decode_into_masks(const std::vector<PartMask>& wanted,
                                                           ZRange range) const {
  std::map<const std::uint8_t*, std::size_t> parts_per_mask;
  for (const PartMask& w : wanted) ++parts_per_mask[w.mask];
  struct Job {
    std::uint8_t* mask;
    EntryId entry;
    std::size_t unit;
    std::vector<std::uint8_t> bytes;
  };
  std::vector<Job> jobs;
  std::vector<PartMask> rest;
  const Shape3 shape = space.shape_zyx();
  const auto within = [](const container::UnitBox& crop, const LabelStats& stats) {
    for (std::size_t a = 0; a < 3; ++a) {
      if (crop.origin_zyx[a] < stats.bbox_min_zyx[a] ||
          crop.origin_zyx[a] + crop.shape_zyx[a] - 1 > stats.bbox_max_zyx[a]) {
        return false;
      }
    }
    return true;
  };
  for (const PartMask& w : wanted) {
    const ArchiveEntry& e = entries.at(w.part.entry);
    const container::EntryRecord& record = e.record;
    bool direct = parts_per_mask[w.mask] == 1 && w.part.value == 1 && !e.open && e.in_file &&
                  (record.coding == container::kCodingMedmaskCm ||
                   record.coding == container::kCodingMedmaskTiles) &&
                  (record.dtype == DType::kUInt8 || record.dtype == DType::kBool) &&
                  !record.reference.present();
    std::vector<Job> mine;
    const std::vector<std::size_t> units =
        direct ? units_for(w.part.entry, w.part.stats, range.begin, range.end)
               : std::vector<std::size_t>{};
    for (const std::size_t unit : units) {
      const container::UnitBox box = container::unit_box(record, unit, shape);
      if (cache.find({w.part.entry, unit}) || box.origin_zyx[0] < range.begin ||
          box.origin_zyx[0] + box.shape_zyx[0] > range.end) {
        direct = false;
        break;
      }
      const std::uint64_t offset = record.offset + record.chunks.at(unit).offset;
      std::vector<std::uint8_t> bytes =
          file.read(offset, static_cast<std::size_t>(record.chunks[unit].length));
      const std::optional<container::UnitBox> crop =
          container::single_label_crop(bytes, record, unit, shape, 1, path, entry_field(e), offset);
      // Voxels outside the index's box would be dropped by the scan: the same answer either way.
      if (!crop || (crop->shape_zyx[0] > 0 && !within(*crop, w.part.stats))) {
        direct = false;
        break;
      }
      if (crop->shape_zyx[0] > 0) mine.push_back({w.mask, w.part.entry, unit, std::move(bytes)});
    }
    if (!direct) {
      rest.push_back(w);
      continue;
    }
    for (Job& job : mine) jobs.push_back(std::move(job));
  }
  // The largest first, as in decode_slabs: no thread is left with a big one at the end.
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const Job& a, const Job& b) { return a.bytes.size() > b.bytes.size(); });
  detail::parallel_for(jobs.size(), threads, [&](std::size_t i) {
    const Job& job = jobs[i];
    const ArchiveEntry& e = entries.at(job.entry);
    container::decode_unit_into(job.bytes, e.record, job.unit, shape, job.mask, range.begin, path,
                                entry_field(e), e.record.offset + e.record.chunks[job.unit].offset);
  });
  return rest;
}

// Sets each part's voxels in its mask: units decoded straight into the masks where they can be,
// the others decoded on the archive's threads, then scanned.
void MaskArchive::Impl::read_into_masks(const std::vector<PartMask>& wanted, ZRange range) const {
  const std::vector<PartMask> rest = decode_into_masks(wanted, range);
  std::vector<PartRef> left;
  for (const PartMask& w : rest) left.push_back(w.part);
  decode_slabs(chunk_keys(left, range));
  fill_masks(rest, range);
}

// direct: read_into_masks (a request's read); otherwise every unit goes through the cache (the
// writer's checks of unions, which read the same structures again).
LabelVolume MaskArchive::Impl::union_of(const std::vector<PartRef>& parts, ZRange range,
                                        bool direct) const {
  const Shape3 shape = space.shape_zyx();
  LabelVolume result(DType::kBool, {range.end - range.begin, shape[1], shape[2]});
  std::vector<PartMask> wanted;
  for (const PartRef& part : parts) wanted.push_back({part, result.data_as<std::uint8_t>()});
  if (direct) {
    read_into_masks(wanted, range);
  } else {
    fill_masks(wanted, range);
  }
  return result;
}

std::vector<std::pair<std::size_t, std::size_t>> MaskArchive::Impl::chunk_keys(
    const std::vector<PartRef>& parts, ZRange range) const {
  std::set<std::pair<std::size_t, std::size_t>> keys;
  for (const PartRef& part : parts) {
    for (const std::size_t unit : units_for(part.entry, part.stats, range.begin, range.end)) {
      keys.insert({part.entry, unit});
    }
  }
  return {keys.begin(), keys.end()};
}

std::vector<std::string> MaskArchive::expand(const std::string& name) const {
  return impl_->expand(impl_->stored_name(name));
}

LabelVolume MaskArchive::read_structure(const std::string& name) const {
  return read_structures(std::span<const std::string>(&name, 1));
}

LabelVolume MaskArchive::read_structures(std::span<const std::string> names) const {
  return read_structures(names, ZRange{0, impl_->space.shape_zyx()[0]});
}

LabelVolume MaskArchive::read_structures(std::span<const std::string> names, ZRange range) const {
  const Shape3 shape = impl_->space.shape_zyx();
  return read_box(names, VoxelBox{range, ZRange{0, shape[1]}, ZRange{0, shape[2]}});
}

LabelVolume MaskArchive::read_box(std::span<const std::string> names, const VoxelBox& box) const {
  const Impl& s = *impl_;
  const Shape3 shape = s.space.shape_zyx();
  const ZRange ranges[3] = {box.z, box.y, box.x};
  for (std::size_t axis = 0; axis < 3; ++axis) check_range(s.path, axis, ranges[axis], shape[axis]);
  std::vector<std::string> stored;
  for (const std::string& name : names) stored.push_back(s.stored_name(name));
  // Each part's box clipped to the request's rows and columns: tiles and rows outside it are
  // neither decoded nor scanned. (Slices are clipped by the z range itself.)
  LabelStats rows_and_columns;
  rows_and_columns.voxels = 1;
  rows_and_columns.bbox_min_zyx = {0, box.y.begin, box.x.begin};
  rows_and_columns.bbox_max_zyx = {shape[0] - 1, box.y.end - 1, box.x.end - 1};
  std::vector<PartRef> parts;
  for (PartRef part : s.parts_of(stored)) {
    const std::uint64_t voxels = part.stats.voxels;  // an upper bound inside the clipped box
    part.stats = intersection(part.stats, rows_and_columns);
    if (part.stats.voxels == 0) continue;
    part.stats.voxels = voxels;
    parts.push_back(part);
  }
  LabelVolume slices = s.union_of(parts, box.z, true);
  if (box.y.begin == 0 && box.y.end == shape[1] && box.x.begin == 0 && box.x.end == shape[2]) {
    return slices;
  }
  const std::int64_t nz = box.z.end - box.z.begin, ny = box.y.end - box.y.begin,
                     nx = box.x.end - box.x.begin;
  LabelVolume out(DType::kBool, {nz, ny, nx});
  const std::uint8_t* from = slices.data_as<std::uint8_t>();
  std::uint8_t* to = out.data_as<std::uint8_t>();
  const auto at = [](std::int64_t v) { return static_cast<std::size_t>(v); };
  for (std::int64_t z = 0; z < nz; ++z) {
    for (std::int64_t y = 0; y < ny; ++y) {
      std::memcpy(to + at((z * ny + y) * nx),
                  from + at((z * shape[1] + box.y.begin + y) * shape[2] + box.x.begin), at(nx));
    }
  }
  return out;
}

std::vector<LabelVolume> MaskArchive::read_each(std::span<const std::string> names) const {
  const Impl& s = *impl_;
  const ZRange all{0, s.space.shape_zyx()[0]};
  std::vector<std::vector<PartRef>> parts;
  for (const std::string& name : names) parts.push_back(s.parts_of({s.stored_name(name)}));
  const Shape3 shape = s.space.shape_zyx();
  std::vector<LabelVolume> out;
  std::vector<PartMask> wanted;
  out.reserve(names.size());
  for (const auto& structure_parts : parts) {
    out.emplace_back(DType::kBool, shape);
    for (const PartRef& part : structure_parts) {
      wanted.push_back({part, out.back().data_as<std::uint8_t>()});
    }
  }
  s.read_into_masks(wanted, all);
  return out;
}

std::vector<std::string> MaskArchive::labels_at(std::int64_t z, std::int64_t y,
                                                std::int64_t x) const {
  const Impl& s = *impl_;
  const Shape3 shape = s.space.shape_zyx();
  if (z < 0 || y < 0 || x < 0 || z >= shape[0] || y >= shape[1] || x >= shape[2]) {
    throw ArgumentError(s.path + ": voxel (z, y, x) = (" + std::to_string(z) + ", " +
                            std::to_string(y) + ", " + std::to_string(x) +
                            ") is outside the grid of shape (z, y, x) (" +
                            std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + ", " +
                            std::to_string(shape[2]) + ")",
                        s.path);
  }
  std::set<std::string> covering;
  std::vector<std::string> out;
  for (const StructureInfo& info : s.structures.all()) {
    if (info.is_group()) continue;
    for (const StructurePart& part : info.parts) {
      if (!contains_point(part.stats, z, y, x)) continue;
      const container::EntryId entry = s.entries.find(part.entry)->id;
      LabelStats point;
      point.voxels = 1;
      point.bbox_min_zyx = point.bbox_max_zyx = {z, y, x};
      const auto units = s.units_for(entry, point, z, z + 1);
      if (units.empty()) continue;  // an empty tile: the voxel is 0 there
      const Slab piece = s.slab(entry, units.front());
      if (!piece.holds(z, y, x)) continue;  // outside the unit's crop box: 0
      const Shape3& o = piece.origin_zyx;
      const Shape3& n = piece.volume.shape_zyx();
      const auto index =
          (std::size_t(z - o[0]) * std::size_t(n[1]) + std::size_t(y - o[1])) * std::size_t(n[2]) +
          std::size_t(x - o[2]);
      if (piece.volume.get(index) == part.value) {
        covering.insert(info.name);
        out.push_back(info.name);
        break;
      }
    }
  }
  for (const StructureInfo& info : s.structures.all()) {
    if (!info.is_group()) continue;
    const auto members = s.expand(info.name);
    if (std::any_of(members.begin(), members.end(),
                    [&](const std::string& m) { return covering.count(m) != 0; })) {
      out.push_back(info.name);
    }
  }
  return out;
}

std::vector<Overlap> MaskArchive::overlapping(const std::string& name) const {
  const Impl& s = *impl_;
  const StructureInfo& target = s.find_structure(s.stored_name(name));
  std::vector<Overlap> out;
  if (target.stats.voxels == 0) return out;
  const LabelVolume mask = read_structure(name);
  const std::uint8_t* inside = mask.data_as<std::uint8_t>();
  const auto members = s.expand(name);
  const std::set<std::string> own(members.begin(), members.end());
  const Shape3 shape = s.space.shape_zyx();
  const auto ny = static_cast<std::size_t>(shape[1]);
  const auto nx = static_cast<std::size_t>(shape[2]);
  for (const StructureInfo& info : s.structures.all()) {
    if (info.is_group() || own.count(info.name) != 0) continue;
    std::uint64_t shared = 0;
    for (const StructurePart& part : info.parts) {
      const LabelStats box = intersection(part.stats, target.stats);
      if (box.voxels == 0) continue;
      const container::EntryId entry = s.entries.find(part.entry)->id;
      for (const std::size_t unit : s.units_for(entry, box, 0, shape[0])) {
        const Slab piece = s.slab(entry, unit);
        const Shape3& o = piece.origin_zyx;
        const Shape3& n = piece.volume.shape_zyx();
        // The box within this unit.
        LabelStats in_unit = box;
        for (std::size_t a = 0; a < 3; ++a) {
          in_unit.bbox_min_zyx[a] = std::max(box.bbox_min_zyx[a], o[a]);
          in_unit.bbox_max_zyx[a] = std::min(box.bbox_max_zyx[a], o[a] + n[a] - 1);
        }
        if (in_unit.bbox_min_zyx[1] > in_unit.bbox_max_zyx[1] ||
            in_unit.bbox_min_zyx[2] > in_unit.bbox_max_zyx[2]) {
          continue;
        }
        for_each_row(in_unit, piece.z0(), piece.z_end(),
                     [&](std::int64_t z, std::int64_t y, std::int64_t x0, std::int64_t x1) {
                       const std::size_t row_in =
                           (std::size_t(z - o[0]) * std::size_t(n[1]) + std::size_t(y - o[1])) *
                           std::size_t(n[2]);
                       const std::size_t row_out = (std::size_t(z) * ny + std::size_t(y)) * nx;
                       for (std::int64_t x = x0; x < x1; ++x) {
                         shared += (inside[row_out + std::size_t(x)] != 0 &&
                                    piece.volume.get(row_in + std::size_t(x - o[2])) == part.value);
                       }
                     });
      }
    }
    if (shared > 0) out.push_back(Overlap{info.name, shared});
  }
  return out;
}

}  // namespace medmask
