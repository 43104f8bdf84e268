// MaskArchive: the .mska container of docs/FORMAT.md (header, data sections, JSON index).
#include "medmask/archive.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <unordered_map>

#include "container/atomic_file.hpp"
#include "container/cm_section.hpp"
#include "container/error_message.hpp"
#include "container/file_reader.hpp"
#include "container/format_constants.hpp"
#include "container/header.hpp"
#include "container/index_json.hpp"
#include "container/read_limits.hpp"
#include "container/zstd_section.hpp"
#include "detail/checksum.hpp"
#include "detail/dtype_dispatch.hpp"
#include "medmask/error.hpp"

namespace medmask {

using detail::EntryKind;
using detail::EntryRecord;

namespace {

struct Entry {
  EntryRecord record;
  bool in_file = false;               // record.offset/length point into the opened file
  std::vector<std::uint8_t> encoded;  // pending data section (add_mask), not yet in a file
  std::optional<std::size_t> layer;   // index into Impl::layers: the open label volume
};

struct Layer {
  std::size_t entry = 0;
  LabelVolume volume;
  bool dirty = false;
};

// Half-open flat-index range [begin, end) of inside voxels within one row along x.
struct Run {
  std::size_t begin = 0;
  std::size_t end = 0;
};

std::vector<Run> inside_runs(const LabelVolume& binary) {
  std::vector<Run> runs;
  const std::size_t nx = static_cast<std::size_t>(binary.shape_zyx()[2]);
  const std::size_t n = binary.size();
  detail::visit_dtype(binary.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = binary.data_as<T>();
    for (std::size_t row = 0; row < n; row += nx) {
      std::size_t x = row;
      const std::size_t row_end = row + nx;
      while (x < row_end) {
        if (values[x] == 0) {
          ++x;
          continue;
        }
        const std::size_t begin = x;
        while (x < row_end && values[x] != 0) ++x;
        runs.push_back({begin, x});
      }
    }
  });
  return runs;
}

bool overlaps(const LabelVolume& layer, const std::vector<Run>& runs) {
  bool found = false;
  detail::visit_dtype(layer.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = layer.data_as<T>();
    for (const Run& run : runs) {
      if (std::any_of(values + run.begin, values + run.end, [](T v) { return v != 0; })) {
        found = true;
        return;
      }
    }
  });
  return found;
}

LabelStats stats_of_runs(const std::vector<Run>& runs, const Shape3& shape_zyx) {
  LabelStats stats;
  const auto nx = static_cast<std::size_t>(shape_zyx[2]);
  const auto ny = static_cast<std::size_t>(shape_zyx[1]);
  for (const Run& run : runs) {
    const auto z = static_cast<std::int64_t>(run.begin / (nx * ny));
    const auto y = static_cast<std::int64_t>((run.begin / nx) % ny);
    const auto x0 = static_cast<std::int64_t>(run.begin % nx);
    const auto x1 = static_cast<std::int64_t>((run.end - 1) % nx);
    if (stats.voxels == 0) {
      stats.bbox_min_zyx = {z, y, x0};
      stats.bbox_max_zyx = {z, y, x1};
    } else {
      stats.bbox_min_zyx = {std::min(stats.bbox_min_zyx[0], z), std::min(stats.bbox_min_zyx[1], y),
                            std::min(stats.bbox_min_zyx[2], x0)};
      stats.bbox_max_zyx = {std::max(stats.bbox_max_zyx[0], z), std::max(stats.bbox_max_zyx[1], y),
                            std::max(stats.bbox_max_zyx[2], x1)};
    }
    stats.voxels += run.end - run.begin;
  }
  return stats;
}

// OR of (volume == value) into out (bool).
void mark_value(const LabelVolume& volume, std::uint32_t value, LabelVolume& out) {
  auto* result = out.data_as<std::uint8_t>();
  detail::visit_dtype(volume.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* values = volume.data_as<T>();
    const auto wanted = static_cast<T>(value);
    for (std::size_t i = 0, n = volume.size(); i < n; ++i) {
      result[i] = static_cast<std::uint8_t>(result[i] | (values[i] == wanted ? 1u : 0u));
    }
  });
}

std::string shape_text(const Shape3& s) {
  return "(" + std::to_string(s[0]) + ", " + std::to_string(s[1]) + ", " + std::to_string(s[2]) +
         ")";
}

bool file_exists(const std::string& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0;
}

}  // namespace

struct MaskArchive::Impl {
  std::string path;
  OpenMode mode = OpenMode::kRead;
  Space space;
  WriteOptions options;
  detail::ReadLimits limits;
  detail::FileReader file;
  std::vector<Entry> entries;
  std::vector<Layer> layers;
  bool layers_loaded = false;
  std::vector<StructureInfo> structures;  // insertion order
  std::unordered_map<std::string, std::size_t> structure_by_name;
  std::unordered_map<std::string, std::size_t> entry_by_name;
  bool dirty = false;

  // FORMAT.md 7: header, then index checksum, then index size, then the index itself.
  void open_existing() {
    file = detail::FileReader(path);
    const std::uint64_t file_size = file.size();
    const auto head = file.read(
        0, static_cast<std::size_t>(std::min<std::uint64_t>(file_size, detail::kHeaderSize)));
    const detail::Header header = detail::decode_header(head, file_size, path, limits);
    const auto index_bytes =
        file.read(header.index_offset, static_cast<std::size_t>(header.index_length));
    const std::uint64_t computed = detail::xxh3_64(index_bytes.data(), index_bytes.size());
    if (computed != header.index_xxh3) {
      detail::throw_at<FormatError>(path, "index section", header.index_offset,
                                    "checksum mismatch; stored " +
                                        detail::hex64(header.index_xxh3) + ", computed " +
                                        detail::hex64(computed));
    }
    std::string text(static_cast<std::size_t>(header.index_raw_length), '\0');
    detail::zstd_decompress_exact(index_bytes, text.data(), text.size(), path, "index section",
                                  header.index_offset);
    detail::IndexRecord index =
        detail::decode_index_json(text, path, header.index_offset, header.file_length, limits);
    if (index.version_major != header.version_major ||
        index.version_minor != header.version_minor) {
      detail::throw_at<FormatError>(path, "index field version", header.index_offset,
                                    "disagrees with the header; expected [" +
                                        std::to_string(header.version_major) + ", " +
                                        std::to_string(header.version_minor) + "], found [" +
                                        std::to_string(index.version_major) + ", " +
                                        std::to_string(index.version_minor) + "]");
    }
    space = index.space;
    entries.clear();
    entry_by_name.clear();
    for (EntryRecord& record : index.entries) {
      entry_by_name[record.name] = entries.size();
      entries.push_back(Entry{std::move(record), true, {}, {}});
    }
    structures.clear();
    structure_by_name.clear();
    std::unordered_map<std::string, std::size_t> owner;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      for (const Label& label : entries[i].record.labels) owner[label.name] = i;
    }
    for (const std::string& name : index.structure_order) {
      const Entry& entry = entries[owner.at(name)];
      add_structure_info(entry.record, *entry.record.labels.find(name));
    }
  }

  void add_structure_info(const EntryRecord& record, const Label& label) {
    StructureInfo info;
    info.name = label.name;
    info.entry = record.name;
    info.value = label.value;
    info.label = label;
    const auto it = record.stats.find(label.value);
    if (it != record.stats.end()) info.stats = it->second;
    info.volume_mm3 = static_cast<double>(info.stats.voxels) * space.voxel_volume_mm3();
    structure_by_name[info.name] = structures.size();
    structures.push_back(std::move(info));
  }

  void require_writable() const {
    if (mode == OpenMode::kRead) {
      throw ArgumentError(path + ": the archive is open read-only (OpenMode::kRead)", path);
    }
  }

  void require_new_structure_name(const std::string& name) const {
    if (name.empty() || !is_valid_utf8(name)) {
      throw ArgumentError(path + ": structure name must be non-empty UTF-8", path);
    }
    if (const auto it = structure_by_name.find(name); it != structure_by_name.end()) {
      throw ArgumentError(path + ": structure '" + name + "' already exists in entry '" +
                              structures[it->second].entry + "'; names are unique per archive",
                          path);
    }
  }

  std::string known_names(const std::vector<std::string>& names) const {
    std::string known;
    const std::size_t shown = std::min<std::size_t>(names.size(), 5);
    for (std::size_t i = 0; i < shown; ++i) known += (i ? ", " : "") + names[i];
    if (names.size() > shown) known += ", ...";
    return known.empty() ? "none" : known;
  }

  const Entry& find_entry(const std::string& name) const {
    const auto it = entry_by_name.find(name);
    if (it == entry_by_name.end()) {
      std::vector<std::string> names;
      for (const Entry& entry : entries) names.push_back(entry.record.name);
      throw NotFoundError(path + ": unknown entry '" + name + "'; known: " + known_names(names),
                          path);
    }
    return entries[it->second];
  }

  const StructureInfo& find_structure(const std::string& name) const {
    const auto it = structure_by_name.find(name);
    if (it == structure_by_name.end()) {
      std::vector<std::string> names;
      for (const StructureInfo& info : structures) names.push_back(info.name);
      throw NotFoundError(path + ": unknown structure '" + name + "'; known: " + known_names(names),
                          path);
    }
    return structures[it->second];
  }

  std::string entry_field(const Entry& entry) const {
    return "data section of entry '" + entry.record.name + "'";
  }

  // The stored data section of an entry, checksum verified (FORMAT.md 6).
  std::vector<std::uint8_t> read_section(const Entry& entry) const {
    const EntryRecord& record = entry.record;
    auto bytes = file.read(record.offset, static_cast<std::size_t>(record.length));
    const std::uint64_t computed = detail::xxh3_64(bytes.data(), bytes.size());
    if (computed != record.xxh3) {
      detail::throw_at<FormatError>(path, entry_field(entry), record.offset,
                                    "checksum mismatch; stored " + detail::hex64(record.xxh3) +
                                        ", computed " + detail::hex64(computed));
    }
    return bytes;
  }

  // The label volume of an entry. For open layers this shares the in-memory volume.
  LabelVolume decode_entry(const Entry& entry) const {
    if (entry.layer) return layers[*entry.layer].volume;
    const EntryRecord& record = entry.record;
    const bool cm = record.coding == detail::kCodingMedmaskCm;
    if (!cm && record.coding != detail::kCodingZstd) {
      detail::throw_at<UnsupportedError>(path, entry_field(entry), record.offset,
                                         "unknown coding \"" + record.coding +
                                             "\"; this reader decodes \"zstd\" and \"" +
                                             std::string(detail::kCodingMedmaskCm) + "\"");
    }
    std::vector<std::uint8_t> read;
    if (entry.in_file) read = read_section(entry);
    const std::span<const std::uint8_t> bytes = entry.in_file ? read : entry.encoded;
    const std::uint64_t offset = entry.in_file ? record.offset : 0;
    if (cm) {
      return detail::decode_cm_section(bytes, record, space.shape_zyx(), path, entry_field(entry),
                                       offset);
    }
    return detail::decode_volume(bytes, record.dtype, space.shape_zyx(), path, entry_field(entry),
                                 offset);
  }

  // Codes volume as options ask, filling the coding fields of record; returns the section.
  std::vector<std::uint8_t> encode_entry(const LabelVolume& volume, EntryRecord& record) const {
    record.dtype = volume.dtype();
    record.raw_length = volume.byte_size();
    record.chunk_depth = 0;
    record.chunks.clear();
    record.level.clear();
    if (options.coding == Coding::kZstd) {
      record.coding = std::string(detail::kCodingZstd);
      return detail::encode_volume(volume, options.zstd_level);
    }
    record.coding = std::string(detail::kCodingMedmaskCm);
    detail::CmSection section =
        detail::encode_cm_section(volume, options.chunk_depth, options.level);
    record.chunk_depth = options.chunk_depth;
    record.chunks = std::move(section.chunks);
    record.level = std::move(section.level);
    return std::move(section.bytes);
  }

  void ensure_layers_loaded() {
    if (layers_loaded) return;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      Entry& entry = entries[i];
      if (entry.record.kind != EntryKind::kLayer || entry.layer) continue;
      LabelVolume volume = decode_entry(entry);
      entry.layer = layers.size();
      layers.push_back(Layer{i, std::move(volume), false});
    }
    layers_loaded = true;
  }

  std::string new_layer_name() const {
    for (std::size_t n = 0;; ++n) {
      std::string name = "layer" + std::to_string(n);
      if (entry_by_name.count(name) == 0) return name;
    }
  }

  void commit() {
    if (mode == OpenMode::kRead || !dirty) return;
    detail::AtomicFileWriter writer(path);
    const std::array<std::uint8_t, detail::kHeaderSize> placeholder{};
    writer.append(placeholder.data(), placeholder.size());
    std::vector<EntryRecord> records;
    records.reserve(entries.size());
    for (const Entry& entry : entries) {
      EntryRecord record = entry.record;
      std::vector<std::uint8_t> fresh;
      const std::vector<std::uint8_t>* bytes = &entry.encoded;
      if (entry.layer && layers[*entry.layer].dirty) {
        fresh = encode_entry(layers[*entry.layer].volume, record);
        bytes = &fresh;
      } else if (entry.in_file) {
        // Copied without recoding, whatever the coding (chunk offsets are relative to the
        // section); the checksum is verified so corruption is not propagated.
        fresh = read_section(entry);
        bytes = &fresh;
      }
      record.offset = writer.size();
      record.length = bytes->size();
      record.xxh3 = detail::xxh3_64(bytes->data(), bytes->size());
      writer.append(bytes->data(), bytes->size());
      records.push_back(std::move(record));
    }
    detail::IndexRecord index;
    index.space = space;
    index.entries = records;
    for (const StructureInfo& info : structures) index.structure_order.push_back(info.name);
    const std::string text = detail::encode_index_json(index);
    const auto compressed = detail::zstd_compress(text.data(), text.size(), options.zstd_level);

    detail::Header header;
    header.index_offset = writer.size();
    header.index_length = compressed.size();
    header.index_raw_length = text.size();
    header.index_xxh3 = detail::xxh3_64(compressed.data(), compressed.size());
    writer.append(compressed.data(), compressed.size());
    header.file_length = writer.size();
    const auto header_bytes = detail::encode_header(header);
    writer.write_at(0, header_bytes.data(), header_bytes.size());
    writer.commit();

    // The new file is now the archive: later reads and appends use it.
    file = detail::FileReader(path);
    for (std::size_t i = 0; i < entries.size(); ++i) {
      entries[i].record = std::move(records[i]);
      entries[i].in_file = true;
      entries[i].encoded = {};
    }
    for (Layer& layer : layers) layer.dirty = false;
    dirty = false;
  }
};

MaskArchive::MaskArchive(std::string path, OpenMode mode, std::optional<Space> space,
                         WriteOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = std::move(path);
  s.mode = mode;
  s.options = options;
  if (mode != OpenMode::kRead) {
    detail::zstd_compress("", 0, options.zstd_level);  // rejects a bad level now, not at commit
    if (options.chunk_depth == 0) {
      throw ArgumentError(s.path + ": WriteOptions::chunk_depth must be at least 1", s.path);
    }
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

void MaskArchive::discard() noexcept {
  if (!impl_) return;
  impl_->dirty = false;
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
  if (entry_name.empty() || !is_valid_utf8(entry_name)) {
    throw ArgumentError(s.path + ": entry name must be non-empty UTF-8", s.path);
  }
  if (s.entry_by_name.count(entry_name) != 0) {
    throw ArgumentError(s.path + ": entry '" + entry_name + "' already exists", s.path);
  }
  if (mask.volume().shape_zyx() != s.space.shape_zyx() || !mask.space().is_close(s.space)) {
    throw ArgumentError(s.path + ": mask '" + entry_name + "' has space " +
                            mask.space().to_string() + " with volume shape (z, y, x) " +
                            shape_text(mask.volume().shape_zyx()) + "; expected the archive's " +
                            s.space.to_string(),
                        s.path);
  }
  for (const Label& label : mask.labels()) s.require_new_structure_name(label.name);

  Entry entry;
  EntryRecord& record = entry.record;
  record.name = entry_name;
  record.kind = EntryKind::kMask;
  record.labels = mask.labels();
  record.stats = compute_label_stats(mask.volume());
  entry.encoded = s.encode_entry(mask.volume(), record);
  record.length = entry.encoded.size();
  record.xxh3 = detail::xxh3_64(entry.encoded.data(), entry.encoded.size());
  s.entry_by_name[entry_name] = s.entries.size();
  s.entries.push_back(std::move(entry));
  for (const Label& label : s.entries.back().record.labels) {
    s.add_structure_info(s.entries.back().record, label);
  }
  s.dirty = true;
}

SegmentationMask MaskArchive::load_mask(const std::string& entry_name) const {
  const Impl& s = *impl_;
  const Entry& entry = s.find_entry(entry_name);
  LabelVolume volume = s.decode_entry(entry);
  if (entry.layer) volume = volume.clone();  // never hand out the writer's own buffer
  return SegmentationMask(std::move(volume), entry.record.labels, s.space);
}

std::vector<std::string> MaskArchive::entry_names() const {
  std::vector<std::string> names;
  for (const Entry& entry : impl_->entries) names.push_back(entry.record.name);
  return names;
}

std::vector<EntryInfo> MaskArchive::entries() const {
  std::vector<EntryInfo> infos;
  for (const Entry& entry : impl_->entries) {
    const EntryRecord& record = entry.record;
    const bool written = entry.in_file || !entry.encoded.empty();
    infos.push_back(EntryInfo{record.name, record.dtype, written ? record.coding : std::string(),
                              written ? record.level : std::string(), written ? record.length : 0});
  }
  return infos;
}

void MaskArchive::add_structure(const std::string& name, const LabelVolume& binary,
                                const Label& label) {
  Impl& s = *impl_;
  s.require_writable();
  s.require_new_structure_name(name);
  if (binary.shape_zyx() != s.space.shape_zyx()) {
    throw ArgumentError(s.path + ": structure '" + name + "' has shape (z, y, x) " +
                            shape_text(binary.shape_zyx()) + "; expected " +
                            shape_text(s.space.shape_zyx()),
                        s.path);
  }
  s.ensure_layers_loaded();
  const std::vector<Run> runs = inside_runs(binary);

  // Greedy first fit: the first layer with no voxel where the structure is.
  std::optional<std::size_t> chosen;
  for (std::size_t i = 0; i < s.layers.size() && !chosen; ++i) {
    if (!overlaps(s.layers[i].volume, runs)) chosen = i;
  }
  if (!chosen) {
    Entry entry;
    entry.record.name = s.new_layer_name();
    entry.record.kind = EntryKind::kLayer;
    entry.record.dtype = DType::kUInt8;
    entry.layer = s.layers.size();
    s.layers.push_back(
        Layer{s.entries.size(), LabelVolume(DType::kUInt8, s.space.shape_zyx()), true});
    s.entry_by_name[entry.record.name] = s.entries.size();
    s.entries.push_back(std::move(entry));
    chosen = s.layers.size() - 1;
  }
  Layer& layer = s.layers[*chosen];
  EntryRecord& record = s.entries[layer.entry].record;

  std::uint32_t value = label.value;
  if (value == 0 || record.labels.find_value(value) != nullptr) {
    std::set<std::uint32_t> used;
    for (const Label& existing : record.labels) used.insert(existing.value);
    value = 1;
    for (const std::uint32_t v : used) {
      if (v != value) break;
      ++value;
    }
  }
  if (value > dtype_max_value(layer.volume.dtype())) {
    layer.volume = layer.volume.converted(dtype_for_max_value(value));
  }
  detail::visit_dtype(layer.volume.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* values = layer.volume.data_as<T>();
    for (const Run& run : runs)
      std::fill(values + run.begin, values + run.end, static_cast<T>(value));
  });
  Label stored = label;
  stored.name = name;
  stored.value = value;
  record.labels.add(stored);
  const LabelStats stats = stats_of_runs(runs, s.space.shape_zyx());
  if (stats.voxels > 0) record.stats[value] = stats;
  record.dtype = layer.volume.dtype();
  record.raw_length = layer.volume.byte_size();
  layer.dirty = true;
  s.entries[layer.entry].in_file = false;
  s.add_structure_info(record, stored);
  s.dirty = true;
}

std::vector<StructureInfo> MaskArchive::structures() const { return impl_->structures; }

const StructureInfo& MaskArchive::structure(const std::string& name) const {
  return impl_->find_structure(name);
}

bool MaskArchive::contains(const std::string& name) const noexcept {
  return impl_->structure_by_name.count(name) != 0;
}

LabelVolume MaskArchive::read_structure(const std::string& name) const {
  return read_structures(std::span<const std::string>(&name, 1));
}

LabelVolume MaskArchive::read_structures(std::span<const std::string> names) const {
  const Impl& s = *impl_;
  // Group by entry so that each entry is decoded once.
  std::vector<std::pair<std::size_t, std::uint32_t>> wanted;
  for (const std::string& name : names) {
    const StructureInfo& info = s.find_structure(name);
    // The index's statistics are exact: an empty structure needs no voxel data.
    if (info.stats.voxels == 0) continue;
    wanted.emplace_back(s.entry_by_name.at(info.entry), info.value);
  }
  std::sort(wanted.begin(), wanted.end());
  LabelVolume result(DType::kBool, s.space.shape_zyx());
  for (std::size_t i = 0; i < wanted.size();) {
    const std::size_t entry_index = wanted[i].first;
    const LabelVolume volume = s.decode_entry(s.entries[entry_index]);
    for (; i < wanted.size() && wanted[i].first == entry_index; ++i) {
      mark_value(volume, wanted[i].second, result);
    }
  }
  return result;
}

void MaskArchive::commit() { impl_->commit(); }

}  // namespace medmask
