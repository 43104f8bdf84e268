// MaskArchive queries that decode voxels: masks by name (whole or a z-range), labels at a voxel,
// overlaps. Only the z-chunks a request needs are decoded, in parallel, and kept in the cache.
#include <algorithm>
#include <map>
#include <set>
#include <span>
#include <vector>

#include "container/archive_impl.hpp"
#include "container/cm_section.hpp"
#include "container/error_message.hpp"
#include "container/format_constants.hpp"
#include "container/slab_scatter.hpp"
#include "detail/dtype_dispatch.hpp"
#include "detail/parallel_for.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"

namespace medmask {

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

}  // namespace

std::vector<std::string> MaskArchive::Impl::expand(const std::string& name) const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  // Groups were checked for cycles on reading and on adding; `seen` also stops repeats.
  const auto visit = [&](auto&& self, const std::string& item) -> void {
    const StructureInfo& info = find_structure(item);
    if (!seen.insert(item).second) return;
    if (!info.is_group()) {
      out.push_back(item);
      return;
    }
    for (const std::string& member : info.members) self(self, member);
  };
  visit(visit, name);
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
      parts.push_back(PartRef{entry_by_name.at(part.entry), part.value, part.stats});
    }
  }
  return parts;
}

// The chunks of an entry holding slices [z_begin, z_end). Entries without a chunk table (zstd,
// pending or open in the writer) are one chunk.
std::vector<std::size_t> MaskArchive::Impl::chunks_for(std::size_t entry, std::int64_t z_begin,
                                                       std::int64_t z_end) const {
  const ArchiveEntry& e = entries[entry];
  if (z_begin >= z_end) return {};
  if (e.open || !e.in_file || e.record.coding != detail::kCodingMedmaskCm) return {0};
  const auto depth = static_cast<std::int64_t>(e.record.chunk_depth);
  std::vector<std::size_t> chunks;
  for (std::int64_t k = z_begin / depth; k <= (z_end - 1) / depth; ++k) {
    chunks.push_back(static_cast<std::size_t>(k));
  }
  return chunks;
}

Slab MaskArchive::Impl::slab(std::size_t entry, std::size_t chunk) const {
  const ArchiveEntry& e = entries[entry];
  if (e.open) {
    // The writer's own volume: shared without ownership, valid while the archive is unchanged.
    return Slab{
        std::shared_ptr<const LabelVolume>(std::shared_ptr<void>(), &open_volumes[*e.open].volume),
        0};
  }
  const bool chunked = e.in_file && e.record.coding == detail::kCodingMedmaskCm;
  const std::int64_t z0 = chunked ? static_cast<std::int64_t>(chunk * e.record.chunk_depth) : 0;
  if (auto cached = cache.find({entry, chunk})) return Slab{std::move(cached), z0};
  std::shared_ptr<const LabelVolume> volume;
  if (chunked) {
    const detail::ChunkRecord& record = e.record.chunks.at(chunk);
    const std::uint64_t offset = e.record.offset + record.offset;
    const auto bytes = file.read(offset, static_cast<std::size_t>(record.length));
    volume = std::make_shared<const LabelVolume>(detail::decode_cm_chunk(
        bytes, e.record, chunk, space.shape_zyx(), path, entry_field(e), offset));
  } else {
    volume = std::make_shared<const LabelVolume>(decode_entry(e));
  }
  cache.insert({entry, chunk}, volume);
  return Slab{std::move(volume), z0};
}

// Decodes the chunks not yet cached, on up to two threads (as the codec does).
void MaskArchive::Impl::decode_slabs(const ChunkKeys& keys) const {
  ChunkKeys missing;
  for (const auto& key : keys) {
    if (!entries[key.first].open && !cache.find(key)) missing.push_back(key);
  }
  // Decoding time follows a chunk's coded size, and a scan's content crowds into a few chunks:
  // the largest go first so that no thread is left with a big one at the end.
  const auto stored_bytes = [&](const std::pair<std::size_t, std::size_t>& key) {
    const detail::EntryRecord& record = entries[key.first].record;
    return key.second < record.chunks.size() ? record.chunks[key.second].length : record.length;
  };
  std::stable_sort(missing.begin(), missing.end(),
                   [&](const auto& a, const auto& b) { return stored_bytes(a) > stored_bytes(b); });
  detail::parallel_for(missing.size(), detail::codec_threads(),
                       [&](std::size_t i) { slab(missing[i].first, missing[i].second); });
}

// The whole label map of an entry (load_mask). The section is read and its checksum verified as
// for any entry (FORMAT.md 7); an in-file "medmask-cm1" entry then has each chunk decoded, on up
// to two threads, into zero pages where only the chunk's crop box is written (an empty chunk
// writes nothing).
LabelVolume MaskArchive::Impl::decode_labelled_chunks(const ArchiveEntry& entry) const {
  const detail::EntryRecord& record = entry.record;
  if (entry.open || !entry.in_file || record.coding != detail::kCodingMedmaskCm) {
    return decode_entry(entry);
  }
  const std::vector<std::uint8_t> section = read_section(entry);
  const auto depth = static_cast<std::int64_t>(record.chunk_depth);
  // Every chunk is decoded (a crafted chunk outside the statistics' boxes must still be reported,
  // tests/cpp/test_archive_corrupt.cpp HostileCodecChunks); each writes only its crop box.
  static_cast<void>(depth);
  std::set<std::size_t> wanted;
  for (std::size_t k = 0; k < record.chunks.size(); ++k) wanted.insert(k);
  LabelVolume volume(record.dtype, space.shape_zyx());
  const std::vector<std::size_t> chunks(wanted.begin(), wanted.end());
  detail::parallel_for(chunks.size(), detail::codec_threads(), [&](std::size_t i) {
    const detail::ChunkRecord& chunk = record.chunks.at(chunks[i]);
    if (chunk.offset > section.size() || chunk.length > section.size() - chunk.offset) {
      detail::throw_at<FormatError>(path, entry_field(entry), record.offset + chunk.offset,
                                    "chunk lies beyond the section");
    }
    const auto bytes = std::span(section).subspan(static_cast<std::size_t>(chunk.offset),
                                                  static_cast<std::size_t>(chunk.length));
    detail::decode_cm_chunk_into(bytes, record, chunks[i], volume, path, entry_field(entry),
                                 record.offset + chunk.offset);
  });
  return volume;
}

// Sets each part's voxels in its mask, slab by slab: a job is a few slices of one decoded slab,
// scanned once for every part of that entry, so reading all structures costs one pass over the
// label maps, shared by the threads.
void MaskArchive::Impl::fill_masks(const std::vector<PartMask>& wanted, ZRange range) const {
  constexpr std::int64_t kSlicesPerJob = 8;
  std::map<std::size_t, std::vector<const PartMask*>> by_entry;
  for (const PartMask& w : wanted) by_entry[w.part.entry].push_back(&w);
  struct Job {
    Slab slab;
    std::int64_t z_begin = 0, z_end = 0;
    LabelStats box;  // the rows and columns to scan: the union of the targets' boxes
    std::vector<detail::ValueTarget> targets;
  };
  std::vector<Job> jobs;
  for (const auto& [entry, masks] : by_entry) {
    std::int64_t z_begin = range.end, z_end = range.begin;
    for (const PartMask* m : masks) {
      z_begin = std::min(z_begin, std::max(range.begin, m->part.stats.bbox_min_zyx[0]));
      z_end = std::max(z_end, std::min(range.end, m->part.stats.bbox_max_zyx[0] + 1));
    }
    for (const std::size_t chunk : chunks_for(entry, z_begin, z_end)) {
      const Slab piece = slab(entry, chunk);
      const std::int64_t slab_end = piece.z0 + piece.volume->shape_zyx()[0];
      const std::int64_t last = std::min(z_end, slab_end);
      for (std::int64_t z = std::max(z_begin, piece.z0); z < last; z += kSlicesPerJob) {
        Job job{piece, z, std::min(z + kSlicesPerJob, last), LabelStats{}, {}};
        for (const PartMask* m : masks) {
          const LabelStats& b = m->part.stats;
          if (b.bbox_max_zyx[0] < job.z_begin || b.bbox_min_zyx[0] >= job.z_end) continue;
          job.targets.push_back({m->part.value, m->mask, range.begin});
          job.box = job.box.voxels == 0 ? b : bounding_union(job.box, b);
        }
        if (!job.targets.empty()) jobs.push_back(std::move(job));
      }
    }
  }
  detail::parallel_for(jobs.size(), detail::codec_threads(), [&](std::size_t i) {
    const Job& job = jobs[i];
    detail::scatter_slab(*job.slab.volume, job.slab.z0, job.z_begin, job.z_end, job.box,
                         job.targets);
  });
}

LabelVolume MaskArchive::Impl::union_of(const std::vector<PartRef>& parts, ZRange range) const {
  const Shape3 shape = space.shape_zyx();
  LabelVolume result(DType::kBool, {range.end - range.begin, shape[1], shape[2]});
  std::vector<PartMask> wanted;
  for (const PartRef& part : parts) wanted.push_back({part, result.data_as<std::uint8_t>()});
  fill_masks(wanted, range);
  return result;
}

std::vector<std::pair<std::size_t, std::size_t>> MaskArchive::Impl::chunk_keys(
    const std::vector<PartRef>& parts, ZRange range) const {
  std::set<std::pair<std::size_t, std::size_t>> keys;
  for (const PartRef& part : parts) {
    const std::int64_t z_begin = std::max(range.begin, part.stats.bbox_min_zyx[0]);
    const std::int64_t z_end = std::min(range.end, part.stats.bbox_max_zyx[0] + 1);
    for (const std::size_t chunk : chunks_for(part.entry, z_begin, z_end)) {
      keys.insert({part.entry, chunk});
    }
  }
  return {keys.begin(), keys.end()};
}

std::vector<std::string> MaskArchive::expand(const std::string& name) const {
  return impl_->expand(name);
}

LabelVolume MaskArchive::read_structure(const std::string& name) const {
  return read_structures(std::span<const std::string>(&name, 1));
}

LabelVolume MaskArchive::read_structures(std::span<const std::string> names) const {
  return read_structures(names, ZRange{0, impl_->space.shape_zyx()[0]});
}

LabelVolume MaskArchive::read_structures(std::span<const std::string> names, ZRange range) const {
  const Impl& s = *impl_;
  const std::int64_t nz = s.space.shape_zyx()[0];
  if (range.begin > range.end) {
    throw ArgumentError(s.path + ": z range [" + std::to_string(range.begin) + ", " +
                            std::to_string(range.end) +
                            ") is reversed: begin must not exceed end (end is exclusive)",
                        s.path);
  }
  if (range.begin < 0 || range.end > nz) {
    throw ArgumentError(s.path + ": z range [" + std::to_string(range.begin) + ", " +
                            std::to_string(range.end) + ") is outside the grid's 0.." +
                            std::to_string(nz) + " slices",
                        s.path);
  }
  const std::vector<PartRef> parts = s.parts_of({names.begin(), names.end()});
  s.decode_slabs(s.chunk_keys(parts, range));
  return s.union_of(parts, range);
}

std::vector<LabelVolume> MaskArchive::read_each(std::span<const std::string> names) const {
  const Impl& s = *impl_;
  const ZRange all{0, s.space.shape_zyx()[0]};
  std::vector<std::vector<PartRef>> parts;
  std::vector<PartRef> every;
  for (const std::string& name : names) {
    parts.push_back(s.parts_of({name}));
    every.insert(every.end(), parts.back().begin(), parts.back().end());
  }
  s.decode_slabs(s.chunk_keys(every, all));
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
  s.fill_masks(wanted, all);
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
  for (const StructureInfo& info : s.structures) {
    if (info.is_group()) continue;
    for (const StructurePart& part : info.parts) {
      if (!contains_point(part.stats, z, y, x)) continue;
      const std::size_t entry = s.entry_by_name.at(part.entry);
      const Slab piece = s.slab(entry, s.chunks_for(entry, z, z + 1).front());
      const auto index = (std::size_t(z - piece.z0) * std::size_t(shape[1]) + std::size_t(y)) *
                             std::size_t(shape[2]) +
                         std::size_t(x);
      if (piece.volume->get(index) == part.value) {
        covering.insert(info.name);
        out.push_back(info.name);
        break;
      }
    }
  }
  for (const StructureInfo& info : s.structures) {
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
  const StructureInfo& target = s.find_structure(name);
  std::vector<Overlap> out;
  if (target.stats.voxels == 0) return out;
  const LabelVolume mask = read_structure(name);
  const std::uint8_t* inside = mask.data_as<std::uint8_t>();
  const auto members = s.expand(name);
  const std::set<std::string> own(members.begin(), members.end());
  const Shape3 shape = s.space.shape_zyx();
  const auto ny = static_cast<std::size_t>(shape[1]);
  const auto nx = static_cast<std::size_t>(shape[2]);
  for (const StructureInfo& info : s.structures) {
    if (info.is_group() || own.count(info.name) != 0) continue;
    std::uint64_t shared = 0;
    for (const StructurePart& part : info.parts) {
      const LabelStats box = intersection(part.stats, target.stats);
      if (box.voxels == 0) continue;
      const std::size_t entry = s.entry_by_name.at(part.entry);
      for (const std::size_t chunk :
           s.chunks_for(entry, box.bbox_min_zyx[0], box.bbox_max_zyx[0] + 1)) {
        const Slab piece = s.slab(entry, chunk);
        const std::int64_t slab_end = piece.z0 + piece.volume->shape_zyx()[0];
        for_each_row(
            box, piece.z0, slab_end,
            [&](std::int64_t z, std::int64_t y, std::int64_t x0, std::int64_t x1) {
              const std::size_t row_in = (std::size_t(z - piece.z0) * ny + std::size_t(y)) * nx;
              const std::size_t row_out = (std::size_t(z) * ny + std::size_t(y)) * nx;
              for (auto x = std::size_t(x0); x < std::size_t(x1); ++x) {
                shared += (inside[row_out + x] != 0 && piece.volume->get(row_in + x) == part.value);
              }
            });
      }
    }
    if (shared > 0) out.push_back(Overlap{info.name, shared});
  }
  return out;
}

}  // namespace medmask
