// Packing the structures an export writes into exclusive label maps (see export_layers.hpp).
#include "io/export_layers.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "medmask/error.hpp"

namespace medmask::io {

namespace {

// The (z, y, x) box of a structure's voxels, visited row by row.
template <class Fn>
void for_each_in_box(const LabelStats& stats, const Shape3& shape_zyx, Fn&& fn) {
  const auto ny = static_cast<std::size_t>(shape_zyx[1]);
  const auto nx = static_cast<std::size_t>(shape_zyx[2]);
  for (std::int64_t z = stats.bbox_min_zyx[0]; z <= stats.bbox_max_zyx[0]; ++z) {
    for (std::int64_t y = stats.bbox_min_zyx[1]; y <= stats.bbox_max_zyx[1]; ++y) {
      const std::size_t row = (static_cast<std::size_t>(z) * ny + static_cast<std::size_t>(y)) * nx;
      for (std::int64_t x = stats.bbox_min_zyx[2]; x <= stats.bbox_max_zyx[2]; ++x) {
        if (!fn(row + static_cast<std::size_t>(x))) return;
      }
    }
  }
}

bool fits(const ExportLayer& layer, const LabelVolume& binary, const LabelStats& stats) {
  bool free = true;
  for_each_in_box(stats, binary.shape_zyx(), [&](std::size_t i) {
    free = !(binary.get(i) != 0 && layer.volume.get(i) != 0);
    return free;
  });
  return free;
}

std::uint32_t free_value(const LabelTable& labels, std::uint32_t wanted) {
  if (wanted != 0 && labels.find_value(wanted) == nullptr) return wanted;
  std::uint32_t value = 1;
  while (labels.find_value(value) != nullptr) ++value;
  return value;
}

void place(ExportLayer& layer, const LabelVolume& binary, const LabelStats& stats, Label label) {
  const DType needed = dtype_for_max_value(label.value);
  if (dtype_size(needed) > dtype_size(layer.volume.dtype()) ||
      (layer.volume.dtype() == DType::kBool && label.value > 1)) {
    layer.volume = layer.volume.converted(needed);
  }
  for_each_in_box(stats, binary.shape_zyx(), [&](std::size_t i) {
    if (binary.get(i) != 0) layer.volume.set(i, label.value);
    return true;
  });
  layer.labels.add(std::move(label));
}

std::string voxel_text(std::size_t index, const Shape3& shape_zyx) {
  const auto nx = static_cast<std::size_t>(shape_zyx[2]);
  const auto ny = static_cast<std::size_t>(shape_zyx[1]);
  return "(" + std::to_string(index % nx) + ", " + std::to_string(index / nx % ny) + ", " +
         std::to_string(index / nx / ny) + ")";
}

std::string name_of(const LabelTable& table, std::uint32_t value) {
  const Label* label = table.find_value(value);
  return label ? "'" + label->name + "'" : "value " + std::to_string(value);
}

// The names in the order kLayerPerEntry packs them: by the entry of their (first) part.
std::vector<std::string> by_entry(const MaskArchive& archive,
                                  const std::vector<std::string>& names) {
  std::map<std::string, std::size_t> entry_index;
  for (const std::string& entry : archive.entry_names())
    entry_index.emplace(entry, entry_index.size());
  std::vector<std::string> sorted = names;
  std::stable_sort(sorted.begin(), sorted.end(), [&](const std::string& a, const std::string& b) {
    const auto& ea = archive.structure(a).entry;
    const auto& eb = archive.structure(b).entry;
    const std::size_t ia = ea.empty() ? entry_index.size() : entry_index.at(ea);
    const std::size_t ib = eb.empty() ? entry_index.size() : entry_index.at(eb);
    return ia < ib;
  });
  return sorted;
}

}  // namespace

Selection select_structures(const MaskArchive& archive, const std::vector<std::string>& names) {
  Selection selection;
  if (names.empty()) {
    for (const StructureInfo& info : archive.structures()) {
      (info.is_group() ? selection.groups : selection.structures).push_back(info.name);
    }
    return selection;
  }
  std::set<std::string> seen;
  for (const std::string& name : names) {
    if (!seen.insert(name).second) continue;
    (archive.structure(name).is_group() ? selection.groups : selection.structures).push_back(name);
  }
  return selection;
}

std::vector<ExportLayer> pack_for_export(const MaskArchive& archive,
                                         const std::vector<std::string>& names, Packing packing,
                                         Warnings& warnings) {
  const Shape3 shape = archive.space().shape_zyx();
  std::map<std::string, DType> entry_dtype;
  for (const EntryInfo& entry : archive.entries()) entry_dtype[entry.name] = entry.dtype;

  std::vector<ExportLayer> layers;
  std::map<std::string, std::size_t> layer_of_entry;
  std::vector<std::string> changes;
  auto new_layer = [&](const std::string& name, DType dtype) {
    layers.push_back({name, LabelVolume(dtype, shape), {}});
    return layers.size() - 1;
  };
  const std::vector<std::string> order =
      packing == Packing::kLayerPerEntry ? by_entry(archive, names) : names;
  for (const std::string& name : order) {
    const StructureInfo& info = archive.structure(name);
    const bool empty = info.stats.voxels == 0;
    const LabelVolume binary =
        empty ? LabelVolume(DType::kBool, shape) : archive.read_structure(name);
    std::optional<std::size_t> target;
    if (packing == Packing::kLayerPerEntry && !info.entry.empty()) {
      auto it = layer_of_entry.find(info.entry);
      if (it == layer_of_entry.end()) {
        it = layer_of_entry.emplace(info.entry, new_layer(info.entry, entry_dtype.at(info.entry)))
                 .first;
      }
      if (fits(layers[it->second], binary, info.stats)) target = it->second;
    }
    for (std::size_t l = 0; !target && l < layers.size(); ++l) {
      if (fits(layers[l], binary, info.stats)) target = l;
    }
    if (!target) target = new_layer("layer" + std::to_string(layers.size()), DType::kUInt8);
    Label label = info.label;
    label.name = name;
    label.value = free_value(layers[*target].labels, info.value);
    if (info.value != 0 && label.value != info.value) {
      changes.push_back("'" + name + "' " + std::to_string(info.value) + " -> " +
                        std::to_string(label.value));
    }
    place(layers[*target], binary, info.stats, std::move(label));
  }
  if (!changes.empty()) {
    std::string list;
    for (std::size_t i = 0; i < changes.size() && i < 8; ++i) list += (i ? ", " : "") + changes[i];
    if (changes.size() > 8) list += ", ... (" + std::to_string(changes.size()) + " in all)";
    warnings.push_back(
        {WarningKind::kValueChanged,
         std::to_string(changes.size()) +
             " structure(s) written with another value than in the archive (the value "
             "was taken in the layer they share; the label table gives the values "
             "written): " +
             list});
  }
  // Entries whose structures all moved elsewhere leave empty layers behind.
  std::erase_if(layers, [](const ExportLayer& layer) { return layer.labels.empty(); });
  return layers;
}

std::string overlap_description(const ExportLayer& a, const ExportLayer& b) {
  std::size_t first = 0;
  while (first < a.volume.size() && (a.volume.get(first) == 0 || b.volume.get(first) == 0)) {
    ++first;
  }
  if (first == a.volume.size()) return "no voxel lies in both layers";
  const std::uint32_t va = a.volume.get(first);
  const std::uint32_t vb = b.volume.get(first);
  std::uint64_t count = 0;
  for (std::size_t i = first; i < a.volume.size(); ++i) {
    if (a.volume.get(i) == va && b.volume.get(i) == vb) ++count;
  }
  return "structures " + name_of(a.labels, va) + " and " + name_of(b.labels, vb) + " overlap in " +
         std::to_string(count) +
         " voxels, first at voxel (i, j, k) = " + voxel_text(first, a.volume.shape_zyx());
}

}  // namespace medmask::io
