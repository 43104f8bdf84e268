// Recognised unions (FORMAT.md 10.2): a structure whose voxels equal the union of stored
// structures is kept as a group of them. Recognition runs when a structure is added (its
// members are already stored) and again over every structure at commit (a union given before
// its members), so the order in which structures arrive does not change the file. A recognised
// group never gets in the user's way: removing or replacing one of its members first gives the
// group its exact voxels back.
#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "container/archive_impl.hpp"
#include "container/structure_packing.hpp"
#include "medmask/archive.hpp"

namespace medmask {

using container::ArchiveEntry;

namespace {

bool lies_in_layers(const StructureInfo& info, const container::EntryTable& entries) {
  return std::all_of(info.parts.begin(), info.parts.end(), [&](const StructurePart& part) {
    return entries.find(part.entry)->is_layer();
  });
}

// Members of a recognised group in name order: the same list whatever the order of arrival,
// and the order of the index dictionary (FORMAT.md Appendix B), which compresses best.
std::vector<std::string> sorted_names(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

// Names of the stored structures (parts in the open layers) whose union is exactly runs; the
// structure named skip (the candidate itself) is not a possible member.
std::vector<std::size_t> MaskArchive::Impl::union_members(const detail::Runs& runs,
                                                          const std::string& skip) const {
  std::vector<container::LayerParts> layers;
  std::vector<std::size_t> parts_per_structure(structures.size(), 0);
  for (const ArchiveEntry& entry : entries.all()) {
    if (!entry.is_layer() || !entry.open) continue;
    const container::EntryRecord& record = entry.record;
    container::LayerParts layer{&entry.open->volume, {}};
    for (const Label& part : record.labels) {
      if (part.name == skip) continue;
      const auto stats = record.stats.find(part.value);
      if (stats == record.stats.end()) continue;
      const std::size_t id = structures.position(part.name);
      layer.parts[part.value] = {id, stats->second.voxels};
      ++parts_per_structure[id];
    }
    layers.push_back(std::move(layer));
  }
  return container::find_union_of_stored(layers, parts_per_structure, runs);
}

void MaskArchive::Impl::add_recognised_group(const Label& label,
                                             const std::vector<std::size_t>& members,
                                             const detail::Runs& runs) {
  container::GroupRecord group;
  group.label = label;
  group.label.value = 0;
  for (const std::size_t id : members) group.members.push_back(structures[id].name);
  group.members = sorted_names(std::move(group.members));
  group.stats = detail::stats_of_runs(runs, space.shape_zyx());
  group.recognised = true;
  groups.push_back(std::move(group));
}

// At commit: every structure stored as voxels (in layers, not kept by the caller) that equals
// the union of others becomes a group. Smaller candidates go first, so a union of unions
// (all ribs = left ribs + right ribs) ends as a union of the stored ribs whatever the order of
// arrival; then the layers are packed again as if the unions had never held voxels.
void MaskArchive::Impl::recognise_unions() {
  if (!layers_loaded) return;  // nothing was added in this session
  convert_unions();
  canonical_members();
  // Recognised groups take the slots they hold among the groups in name order: the same index
  // whether a union was recognised on arrival or at commit.
  std::vector<std::size_t> slots;
  std::vector<container::GroupRecord> recognised;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    if (!groups[g].recognised) continue;
    slots.push_back(g);
    recognised.push_back(groups[g]);
  }
  std::sort(recognised.begin(), recognised.end(),
            [](const auto& a, const auto& b) { return a.label.name < b.label.name; });
  for (std::size_t i = 0; i < slots.size(); ++i) groups[slots[i]] = std::move(recognised[i]);
  rebuild();
}

void MaskArchive::Impl::convert_unions() {
  std::vector<std::pair<std::uint64_t, std::size_t>> candidates;
  for (std::size_t i = 0; i < structure_order.size(); ++i) {
    const StructureInfo& info = *structures.find(structure_order[i]);
    if (info.stats.voxels == 0 || keep_voxels.count(info.name) != 0) continue;
    if (!lies_in_layers(info, entries)) continue;
    candidates.emplace_back(info.stats.voxels, i);
  }
  if (candidates.size() < 2) return;
  std::sort(candidates.begin(), candidates.end());
  std::vector<std::string> names;
  for (const auto& [voxels, i] : candidates) names.push_back(structure_order[i]);
  bool changed = false;
  for (const std::string& name : names) {
    const StructureInfo info = *structures.find(name);
    const Shape3 shape = space.shape_zyx();
    const detail::Runs runs = detail::inside_runs(union_of(parts_of({name}), ZRange{0, shape[0]}));
    const std::vector<std::size_t> members = union_members(runs, name);
    if (members.empty()) continue;
    // The group is added before the voxels go, so member ids still index `structures`.
    add_recognised_group(info.label, members, runs);
    for (const StructurePart& part : info.parts) clear_part(part, name);
    std::erase(structure_order, name);
    rebuild();
    changed = true;
  }
  if (changed) repack_layers();
}

// The members of every recognised group, made independent of the order of arrival: the group's
// stored structures, where every other recognised group whose structures are a strict part of
// them stands for those (largest first, then by name; strict parts cannot form a cycle), then
// by name. The lung of five lobes lists the lobes, all ribs lists left and right ribs, whether
// the lobes or the rib unions were recognised on arrival or at commit.
void MaskArchive::Impl::canonical_members() {
  using Set = std::set<std::string>;
  std::map<std::string, Set> atoms;
  for (const container::GroupRecord& group : groups) {
    if (!group.recognised) continue;
    const std::vector<std::string> found = expand(group.label.name);
    atoms[group.label.name] = Set(found.begin(), found.end());
  }
  std::vector<std::string> by_size;
  for (const auto& [name, set] : atoms) by_size.push_back(name);
  std::stable_sort(by_size.begin(), by_size.end(),
                   [&](const auto& a, const auto& b) { return atoms[a].size() > atoms[b].size(); });
  for (container::GroupRecord& group : groups) {
    if (!group.recognised) continue;
    const Set& all = atoms[group.label.name];
    Set remaining = all;
    std::vector<std::string> members;
    for (const std::string& other : by_size) {
      const Set& part = atoms[other];
      if (part.size() >= all.size()) continue;
      if (!std::includes(remaining.begin(), remaining.end(), part.begin(), part.end())) continue;
      members.push_back(other);
      for (const std::string& atom : part) remaining.erase(atom);
    }
    members.insert(members.end(), remaining.begin(), remaining.end());
    group.members = sorted_names(std::move(members));
  }
  rebuild();
}

// Places every layer structure again, in structure order, into cleared layers; each keeps its
// first part's value when it is free. Used after unions left the layers, so that their members
// move to the layers they would have had without them.
void MaskArchive::Impl::repack_layers() {
  struct Item {
    std::string name;
    Label label;
    detail::Runs runs;
  };
  std::vector<Item> items;
  const Shape3 shape = space.shape_zyx();
  for (const std::string& name : structure_order) {
    const StructureInfo& info = *structures.find(name);
    if (!lies_in_layers(info, entries)) continue;
    Label label = info.label;
    if (const auto it = requested_values.find(name); it != requested_values.end()) {
      label.value = it->second;
    }
    items.push_back(
        {name, label, detail::inside_runs(union_of(parts_of({name}), ZRange{0, shape[0]}))});
  }
  for (ArchiveEntry& entry : entries.all()) {
    if (!entry.is_layer() || !entry.open) continue;
    container::EntryRecord& record = entry.record;
    container::OpenVolume& open = *entry.open;
    open.volume = LabelVolume(DType::kUInt8, shape);
    record.labels = LabelTable{};
    record.stats.clear();
    record.dtype = DType::kUInt8;
    record.raw_length = open.volume.byte_size();
    open.dirty = true;
  }
  // The cleared layers go, so that the new ones take the first free names: the file is the same
  // whether the unions came before their members or after.
  entries.drop_empty_layers();
  for (const Item& item : items) place(item.name, item.runs, item.label);
  entries.drop_empty_layers();
  rebuild();
}

// Before `member` is removed or replaced: every recognised group whose structures include it
// becomes a structure holding the group's present voxels (its exact voxels are kept).
void MaskArchive::Impl::materialise_recognised_groups_of(const std::string& member) {
  std::vector<std::pair<container::GroupRecord, detail::Runs>> affected;
  const Shape3 shape = space.shape_zyx();
  for (const container::GroupRecord& group : groups) {
    if (!group.recognised || group.label.name == member) continue;
    const std::vector<std::string> structures_of = expand(group.label.name);
    if (std::find(structures_of.begin(), structures_of.end(), member) == structures_of.end()) {
      continue;
    }
    affected.emplace_back(
        group, detail::inside_runs(union_of(parts_of({group.label.name}), ZRange{0, shape[0]})));
  }
  if (affected.empty()) return;
  ensure_layers_loaded();
  for (auto& [group, runs] : affected) {
    const std::string& name = group.label.name;  // clang (C++20) lambdas cannot capture bindings
    std::erase_if(groups, [&](const container::GroupRecord& g) { return g.label.name == name; });
    Label label = group.label;
    label.value = 0;
    place(label.name, runs, label);
    structure_order.push_back(label.name);
  }
  rebuild();
  dirty = true;
}

}  // namespace medmask
