#include "container/entry_table.hpp"

#include <algorithm>
#include <stdexcept>
#include <utility>

namespace medmask::container {

ArchiveEntry& EntryTable::add(ArchiveEntry entry) {
  entry.id = next_id_++;
  by_name_[entry.record.name] = entries_.size();
  by_id_[entry.id] = entries_.size();
  entries_.push_back(std::move(entry));
  return entries_.back();
}

const ArchiveEntry* EntryTable::find(std::string_view name) const {
  const auto it = by_name_.find(std::string(name));
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

ArchiveEntry* EntryTable::find(std::string_view name) {
  return const_cast<ArchiveEntry*>(std::as_const(*this).find(name));
}

const ArchiveEntry& EntryTable::at(EntryId id) const {
  const auto it = by_id_.find(id);
  // Ids come from this table and live as long as their entry: a miss is a bug, not bad input.
  if (it == by_id_.end()) throw std::logic_error("medmask: no entry of id " + std::to_string(id));
  return entries_[it->second];
}

ArchiveEntry& EntryTable::at(EntryId id) {
  return const_cast<ArchiveEntry&>(std::as_const(*this).at(id));
}

std::vector<std::string> EntryTable::names() const {
  std::vector<std::string> out;
  for (const ArchiveEntry& entry : entries_) out.push_back(entry.record.name);
  return out;
}

std::string EntryTable::free_layer_name() const {
  for (std::size_t n = 0;; ++n) {
    std::string name = "layer" + std::to_string(n);
    if (by_name_.count(name) == 0) return name;
  }
}

void EntryTable::drop_empty_layers() {
  const std::size_t before = entries_.size();
  std::erase_if(entries_, [](const ArchiveEntry& entry) {
    return entry.is_layer() && entry.record.labels.empty();
  });
  if (entries_.size() != before) reindex();
}

EntryTable EntryTable::deep_copy() const {
  EntryTable copy = *this;
  for (ArchiveEntry& entry : copy.entries_) {
    if (entry.open) entry.open->volume = entry.open->volume.clone();
  }
  return copy;
}

void EntryTable::reindex() {
  by_name_.clear();
  by_id_.clear();
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    by_name_[entries_[i].record.name] = i;
    by_id_[entries_[i].id] = i;
  }
}

}  // namespace medmask::container
