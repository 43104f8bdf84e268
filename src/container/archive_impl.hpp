// container/archive_impl.hpp: the state behind medmask::MaskArchive, shared by archive.cpp
// (opening, writing, committing) and archive_read.cpp (queries that decode voxels).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "container/chunk_cache.hpp"
#include "container/entry_table.hpp"
#include "container/file_reader.hpp"
#include "container/header.hpp"
#include "container/in_place_file.hpp"
#include "container/index_json.hpp"
#include "container/layer_reference.hpp"
#include "container/read_limits.hpp"
#include "container/structure_list.hpp"
#include "core/voxel_runs.hpp"
#include "medmask/archive.hpp"

namespace medmask::container {

// One part of a structure, resolved to its entry.
struct PartRef {
  EntryId entry = 0;
  std::uint32_t value = 0;
  LabelStats stats;
};

// A part to read and the bool mask its voxels go to.
struct PartMask {
  PartRef part;
  std::uint8_t* mask = nullptr;
};

// zstd level of the index of MaskArchive::commit_provisional.
inline constexpr int kProvisionalIndexLevel = 3;

// What the archive's edits change: the index being built and the writer's label maps.
// MaskArchive::Impl::all_or_nothing (replace_structure, remove) keeps a deep copy and puts it
// back when the edit fails, so every field an edit may touch lives here and nowhere else.
struct ArchiveModel {
  EntryTable entries;
  bool layers_loaded = false;                // every layer entry is open
  std::vector<std::string> structure_order;  // structures (not groups), insertion order
  std::vector<GroupRecord> groups;
  bool dirty = false;
  // Structures added with recognise_unions = false in this session: commit keeps their voxels.
  std::set<std::string> keep_voxels;
  // The value asked for each structure added in this session (0: any); layers packed again at
  // commit honour it rather than the value the first packing happened to give.
  std::map<std::string, std::uint32_t> requested_values;

  StructureList structures;  // derived from the above by rebuild()

  // A copy sharing no voxel buffer with this one.
  ArchiveModel deep_copy() const {
    ArchiveModel copy = *this;
    copy.entries = entries.deep_copy();
    return copy;
  }
};

}  // namespace medmask::container

namespace medmask {

// The archive's state: the model (edited) and the file it was read from (not).
struct MaskArchive::Impl : container::ArchiveModel {
  using ArchiveEntry = container::ArchiveEntry;
  using EntryId = container::EntryId;
  using OpenVolume = container::OpenVolume;
  using PartMask = container::PartMask;
  using PartRef = container::PartRef;
  using Slab = container::Slab;

  std::string path;
  OpenMode mode = OpenMode::kRead;
  Space space;
  WriteOptions options;
  // options.layer_per_structure; when left open, the layout of the file opened for appending
  // (set by open_existing), else the default for the coding and level.
  std::optional<bool> file_layer_per_structure;
  bool layer_per_structure() const {
    return options.layer_per_structure.value_or(file_layer_per_structure.value_or(
        default_layer_per_structure(options.coding, options.level)));
  }
  unsigned threads = 1;  // resolved from options.threads at opening
  container::ReadLimits limits;
  container::FileReader file;
  std::optional<container::Header> header;  // of the opened file
  bool force_rewrite = false;
  // The file's index was written by commit_provisional (at kProvisionalIndexLevel): a full commit
  // rewrites it at options.zstd_level even when nothing else changed.
  bool index_provisional = false;
  int commit_index_level = 19;          // zstd level of the index being committed
  mutable container::ChunkCache cache;  // keyed by entry id

  // archive.cpp
  void open_existing();
  void open_legacy();
  void rebuild();
  void require_writable() const;
  void require_valid_name(const std::string& name, const char* what) const;
  void require_new_name(const std::string& name) const;
  void require_grid_shape(const std::string& name, const LabelVolume& binary) const;
  const ArchiveEntry& find_entry(const std::string& name) const;
  const StructureInfo& find_structure(const std::string& name) const;
  // The stored name a name refers to (entries as namespaces, FORMAT.md 4.4): itself, or for
  // "<entry>/<name>" the structure stored as <name> in that entry. Unknown names come back
  // unchanged (find_structure reports them).
  const std::string& stored_name(const std::string& name) const;
  std::string entry_field(const ArchiveEntry& entry) const;
  std::vector<std::uint8_t> read_section(const ArchiveEntry& entry) const;
  LabelVolume decode_entry(const ArchiveEntry& entry) const;
  const ArchiveEntry& reference_of(const ArchiveEntry& entry) const;
  // candidates: for a layer, the earlier layers it may be coded against (FORMAT.md 4.3.3).
  using ReferenceCandidates = std::vector<container::ReferenceCandidate>;
  std::vector<std::uint8_t> encode_entry(const LabelVolume& volume, container::EntryRecord& record,
                                         const ReferenceCandidates* candidates = nullptr) const;
  void ensure_layers_loaded();
  ArchiveEntry& entry_of(const StructurePart& part);
  OpenVolume& open_entry(ArchiveEntry& entry);
  ArchiveEntry& new_layer();
  void place(const std::string& name, const detail::Runs& runs, const Label& stored);
  void clear_part(const StructurePart& part, const std::string& name);
  void remove_structure(const std::string& name, bool replacing);
  // Runs edit; when it throws, the model as it was before comes back (a deep copy: one copy of
  // each open label map per call, so only for edits that are not in a loop of thousands).
  template <class Edit>
  void all_or_nothing(Edit&& edit) {
    container::ArchiveModel before = deep_copy();
    try {
      edit();
    } catch (...) {
      static_cast<container::ArchiveModel&>(*this) = std::move(before);
      cache.clear();  // entry ids given during the attempt may be given again
      throw;
    }
  }
  void refresh_group_stats();
  const container::GroupRecord* group_listing(const std::string& member) const;
  void commit(bool provisional = false);
  std::unique_ptr<container::InPlaceFile> lock_unchanged() const;
  void commit_rewrite();
  void commit_in_place();
  std::vector<container::EntryRecord> write_sections(
      bool copy_stored,
      const std::function<std::uint64_t(std::span<const std::uint8_t>)>& write) const;
  container::IndexRecord index_record() const;
  void adopt_written(std::vector<container::EntryRecord> records);

  // archive_unions.cpp: recognised unions (FORMAT.md 10.2)
  std::vector<std::size_t> union_members(const detail::Runs& runs, const std::string& skip) const;
  void add_recognised_group(const Label& label, const std::vector<std::size_t>& members,
                            const detail::Runs& runs);
  void recognise_unions();
  void convert_unions();
  void materialise_recognised_groups_of(const std::string& member);
  void repack_layers();
  void canonical_members();

  // archive_read.cpp
  std::vector<std::string> expand(const std::string& name) const;
  std::vector<PartRef> parts_of(const std::vector<std::string>& names) const;
  std::vector<std::size_t> units_for(EntryId entry, const LabelStats& box, std::int64_t z_begin,
                                     std::int64_t z_end) const;
  Slab slab(EntryId entry, std::size_t chunk) const;
  std::vector<std::pair<std::size_t, std::size_t>> chunk_keys(const std::vector<PartRef>& parts,
                                                              ZRange range) const;
  void decode_slabs(const std::vector<std::pair<std::size_t, std::size_t>>& keys) const;
  std::vector<PartMask> decode_into_masks(const std::vector<PartMask>& wanted, ZRange range) const;
  void fill_masks(const std::vector<PartMask>& wanted, ZRange range) const;
  void read_into_masks(const std::vector<PartMask>& wanted, ZRange range) const;
  LabelVolume union_of(const std::vector<PartRef>& parts, ZRange range, bool direct = false) const;
  LabelVolume decode_labelled_chunks(const ArchiveEntry& entry) const;
};

}  // namespace medmask
