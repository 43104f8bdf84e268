#include "container/structure_list.hpp"

#include <algorithm>
#include <stdexcept>

namespace medmask::container {

namespace {

// The union of two boxes (either may be empty).
LabelStats merged(const LabelStats& a, const LabelStats& b) {
  if (a.voxels == 0) return b;
  if (b.voxels == 0) return a;
  LabelStats out;
  out.voxels = a.voxels + b.voxels;
  for (std::size_t i = 0; i < 3; ++i) {
    out.bbox_min_zyx[i] = std::min(a.bbox_min_zyx[i], b.bbox_min_zyx[i]);
    out.bbox_max_zyx[i] = std::max(a.bbox_max_zyx[i], b.bbox_max_zyx[i]);
  }
  return out;
}

}  // namespace

void StructureList::rebuild(const EntryTable& entries, const std::vector<std::string>& order,
                            const std::vector<GroupRecord>& groups, double voxel_volume_mm3) {
  // Reserved before any name is added: the map's keys are views of the listed names.
  by_name_.clear();
  list_.clear();
  by_name_.reserve(order.size() + groups.size());
  list_.reserve(order.size() + groups.size());
  for (const std::string& name : order) {
    list_.emplace_back().name = name;
    by_name_.emplace(list_.back().name, list_.size() - 1);
  }
  for (const ArchiveEntry& entry : entries.all()) {
    const EntryRecord& record = entry.record;
    for (const Label& label : record.labels) {
      StructurePart part{record.name, label.value, {}};
      if (const auto it = record.stats.find(label.value); it != record.stats.end()) {
        part.stats = it->second;
      }
      const auto listed = by_name_.find(label.name);
      if (listed == by_name_.end()) continue;  // not in the order: not a structure (yet)
      StructureInfo& info = list_[listed->second];
      if (info.parts.empty()) {
        info.entry = record.name;
        info.value = label.value;
        info.label = label;
      }
      info.stats = merged(info.stats, part.stats);
      info.parts.push_back(std::move(part));
    }
  }
  for (StructureInfo& info : list_) {
    if (info.parts.empty()) throw std::logic_error("medmask: a listed structure has no label");
    info.volume_mm3 = static_cast<double>(info.stats.voxels) * voxel_volume_mm3;
  }
  for (const GroupRecord& group : groups) {
    StructureInfo& info = list_.emplace_back();
    info.name = group.label.name;
    info.label = group.label;
    info.stats = group.stats;
    info.volume_mm3 = static_cast<double>(info.stats.voxels) * voxel_volume_mm3;
    info.members = group.members;
    by_name_[info.name] = list_.size() - 1;  // a group named as a structure wins, as listed last
  }
}

void StructureList::index_names() {
  by_name_.clear();
  by_name_.reserve(list_.size());
  for (std::size_t i = 0; i < list_.size(); ++i) by_name_[list_[i].name] = i;
}

const StructureInfo* StructureList::find(const std::string& name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &list_[it->second];
}

std::size_t StructureList::position(const std::string& name) const {
  const auto it = by_name_.find(name);
  if (it == by_name_.end()) throw std::logic_error("medmask: structure not listed");
  return it->second;
}

bool StructureList::any_split() const {
  return std::any_of(list_.begin(), list_.end(),
                     [](const StructureInfo& info) { return info.parts.size() > 1; });
}

}  // namespace medmask::container
