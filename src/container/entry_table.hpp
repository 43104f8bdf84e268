// container/entry_table.hpp: the entries of an open archive, in file order, each under a stable
// id. Everything that refers to an entry (a structure's parts, the chunk cache, the writer's open
// label maps) holds its id, never its position, so dropping an entry (an emptied layer) cannot
// make another reference point at the wrong entry; the positions are this table's own business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "container/index_json.hpp"
#include "medmask/volume.hpp"

namespace medmask::container {

using EntryId = std::size_t;

// An entry's label map held in memory by the writer: every layer once a structure is added, and
// any entry a structure is removed from.
struct OpenVolume {
  LabelVolume volume;
  bool dirty = false;  // changed since it was last coded
};

struct ArchiveEntry {
  // Given by EntryTable::add and never changed; not given again by the same table (an older copy
  // put back by MaskArchive::Impl::all_or_nothing may, so that clears the chunk cache).
  EntryId id = 0;
  EntryRecord record;
  bool in_file = false;               // record.offset/length point into the opened file
  std::vector<std::uint8_t> encoded;  // pending data section (add_mask), not yet in a file
  std::optional<OpenVolume> open;     // decoded for writing

  bool is_layer() const noexcept { return record.kind == EntryKind::kLayer; }
  // Its section must be coded again from the open volume at the next commit.
  bool changed() const noexcept { return open && open->dirty; }
};

class EntryTable {
 public:
  // Appends entry under a fresh id (its name must be new); returns the stored entry.
  ArchiveEntry& add(ArchiveEntry entry);
  const ArchiveEntry* find(std::string_view name) const;
  ArchiveEntry* find(std::string_view name);
  const ArchiveEntry& at(EntryId id) const;
  ArchiveEntry& at(EntryId id);
  // Every entry in file order. Callers may change an entry's state but not its id or name.
  std::span<const ArchiveEntry> all() const noexcept { return entries_; }
  std::span<ArchiveEntry> all() noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  std::vector<std::string> names() const;
  // "layer<N>" with the smallest N no entry has.
  std::string free_layer_name() const;
  // Layers left without structures go, with their sections.
  void drop_empty_layers();
  // A copy whose open volumes own their voxels: what the live table does to its label maps
  // leaves the copy as it was (MaskArchive::replace_structure's undo).
  EntryTable deep_copy() const;

 private:
  void reindex();

  std::vector<ArchiveEntry> entries_;  // file order
  std::unordered_map<std::string, std::size_t> by_name_;
  std::unordered_map<EntryId, std::size_t> by_id_;
  EntryId next_id_ = 0;
};

}  // namespace medmask::container
