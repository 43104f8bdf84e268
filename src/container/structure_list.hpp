// container/structure_list.hpp: the structures and groups of an archive as MaskArchive describes
// them (StructureInfo), derived from the entries' labels, the structure order and the groups.
// Never edited directly: rebuild() derives it again after every change, so it cannot disagree
// with what it is derived from.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "container/entry_table.hpp"
#include "container/index_json.hpp"
#include "medmask/archive.hpp"

namespace medmask::container {

class StructureList {
 public:
  StructureList() = default;
  // A copy indexes its own names (by_name_ holds views of list_'s).
  StructureList(const StructureList& other) : list_(other.list_) { index_names(); }
  StructureList& operator=(const StructureList& other) {
    if (this != &other) {
      list_ = other.list_;
      index_names();
    }
    return *this;
  }
  // A move keeps list_'s buffer, so the views stay valid.
  StructureList(StructureList&&) noexcept = default;
  StructureList& operator=(StructureList&&) noexcept = default;

  // A structure's parts are in entry order and its first part's label is the structure's;
  // structures follow `order`, then the groups follow in their order.
  void rebuild(const EntryTable& entries, const std::vector<std::string>& order,
               const std::vector<GroupRecord>& groups, double voxel_volume_mm3);

  const StructureInfo* find(const std::string& name) const;
  bool contains(const std::string& name) const { return find(name) != nullptr; }
  // Structures, then groups. A position is valid until the next rebuild.
  std::span<const StructureInfo> all() const noexcept { return list_; }
  std::size_t size() const noexcept { return list_.size(); }
  std::size_t position(const std::string& name) const;  // of a listed name
  const StructureInfo& operator[](std::size_t position) const { return list_[position]; }
  // Whether a structure lies in more than one part (FORMAT.md 10.2: a required feature).
  bool any_split() const;

 private:
  void index_names();

  std::vector<StructureInfo> list_;
  std::unordered_map<std::string_view, std::size_t> by_name_;  // views of list_'s names
};

}  // namespace medmask::container
