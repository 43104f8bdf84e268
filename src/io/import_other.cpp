// .seg.nrrd and original medmask files as an ImportedCase; adding a case to an archive.
#include <map>
#include <set>

#include "io/nrrd_text.hpp"
#include "medmask/error.hpp"
#include "medmask/import.hpp"
#include "medmask/medmask_v1.hpp"
#include "medmask/seg_nrrd.hpp"

namespace medmask {

namespace {

// The voxels of a segment (its value in its layer), or of a group segment's members.
void mark_segment(const SegNrrd& segmentation, const SegNrrdSegment& segment,
                  std::vector<bool>& inside) {
  const LabelVolume& layer = segmentation.layers[segment.layer];
  for (std::size_t i = 0; i < layer.size(); ++i) {
    if (layer.get(i) == segment.label.value) inside[i] = true;
  }
}

// Segments MedMask wrote for groups (a members tag, members written too, voxels their union):
// their indices and members. Other tagged segments stay structures, with a warning.
std::map<std::size_t, std::vector<std::string>> group_segments(const SegNrrd& segmentation,
                                                               const std::string& path,
                                                               Warnings& warnings) {
  std::map<std::string, std::size_t> by_name;
  for (std::size_t n = 0; n < segmentation.segments.size(); ++n) {
    by_name.emplace(segmentation.segments[n].label.name, n);
  }
  std::map<std::size_t, std::vector<std::string>> groups;
  for (std::size_t n = 0; n < segmentation.segments.size(); ++n) {
    const SegNrrdSegment& segment = segmentation.segments[n];
    const auto members = io::seg_nrrd_group_members(segment.tags);
    if (!members || segment.layer >= segmentation.layers.size()) continue;
    const std::size_t size = segmentation.layers[segment.layer].size();
    std::vector<bool> own(size, false), united(size, false);
    mark_segment(segmentation, segment, own);
    bool known = true;
    // A member group's voxels are its own segment's: comparing with them suffices.
    for (const std::string& member : *members) {
      const auto it = by_name.find(member);
      if (it == by_name.end() || it->second >= n) {
        known = false;
        break;
      }
      mark_segment(segmentation, segmentation.segments[it->second], united);
    }
    if (known && own == united) {
      groups.emplace(n, *members);
    } else {
      warnings.push_back({WarningKind::kNotAGroup,
                          path + ": segment '" + segment.label.name +
                              "' names group members but its voxels are not their union (or "
                              "they are missing); kept as a structure"});
    }
  }
  return groups;
}

}  // namespace

ImportedCase import_seg_nrrd(const std::string& path, const ReadLimits& limits) {
  SegNrrd segmentation = read_seg_nrrd(path, limits);
  ImportedCase result;
  result.space = segmentation.space;
  const std::map<std::size_t, std::vector<std::string>> groups =
      group_segments(segmentation, path, result.warnings);
  std::vector<LabelTable> tables(segmentation.layers.size());
  std::set<std::string> names;
  for (std::size_t n = 0; n < segmentation.segments.size(); ++n) {
    const SegNrrdSegment& segment = segmentation.segments[n];
    if (const auto group = groups.find(n); group != groups.end()) {
      // A group's voxels are its members': they leave its layer.
      LabelVolume& layer = segmentation.layers[segment.layer];
      for (std::size_t i = 0; i < layer.size(); ++i) {
        if (layer.get(i) == segment.label.value) layer.set(i, 0);
      }
      Label label = segment.label;
      label.value = 0;
      result.groups.push_back({label.name, group->second, std::move(label)});
      names.insert(segment.label.name);
      continue;
    }
    result.order.push_back(segment.label.name);
    Label label = segment.label;
    // Slicer keeps segment IDs unique, not names; an archive needs unique names.
    if (!names.insert(label.name).second) {
      const std::string renamed = label.name + " (" + segment.id + ")";
      result.warnings.push_back({WarningKind::kRenamed, path + ": segment name '" + label.name +
                                                            "' is used twice; segment " +
                                                            segment.id + " stored as '" + renamed +
                                                            "'"});
      label.name = renamed;
      names.insert(renamed);
    }
    try {
      tables[segment.layer].add(std::move(label));
    } catch (const ArgumentError& e) {
      throw ArgumentError(path + ": segment " + segment.id + ": " + e.what(), path);
    }
  }
  std::size_t kept = 0;  // layers that held only groups are dropped
  for (std::size_t l = 0; l < segmentation.layers.size(); ++l) {
    const LabelVolume& layer = segmentation.layers[l];
    if (tables[l].empty() && !groups.empty() && layer.max_value() == 0) continue;
    std::uint64_t unnamed = 0;
    for (const auto& [value, stats] : compute_label_stats(layer)) {
      if (tables[l].find_value(value) == nullptr) unnamed += stats.voxels;
    }
    if (unnamed > 0) {
      result.warnings.push_back(
          {WarningKind::kUnnamedValues, path + ": layer " + std::to_string(l) + " holds " +
                                            std::to_string(unnamed) +
                                            " voxels of values no segment names; kept, unnamed"});
    }
    if (tables[l].max_value() > dtype_max_value(layer.dtype())) {
      segmentation.layers[l] = layer.converted(dtype_for_max_value(tables[l].max_value()));
    }
    result.entries.push_back({"layer" + std::to_string(kept++),
                              SegmentationMask(segmentation.layers[l], tables[l], result.space)});
  }
  return result;
}

ImportedCase import_medmask_v1(const std::string& path, const ReadLimits& limits) {
  LegacyFile legacy = read_medmask_v1(path, limits);
  ImportedCase result;
  result.space = legacy.space;
  for (LegacyEntry& entry : legacy.entries) {
    result.entries.push_back({entry.name, std::move(entry.mask)});
  }
  return result;
}

void add_imported(MaskArchive& archive, const ImportedCase& imported) {
  for (const ImportedEntry& entry : imported.entries) archive.add_mask(entry.name, entry.mask);
  for (const ImportedStructure& structure : imported.structures) {
    archive.add_structure(structure.name, structure.binary, structure.label, false);
  }
  for (const ImportedGroup& group : imported.groups) {
    archive.add_group(group.name, group.members, group.label);
  }
  std::vector<std::string> order;
  std::set<std::string> seen;
  for (const std::string& name : imported.order) {
    if (archive.contains(name) && !archive.structure(name).is_group() && seen.insert(name).second) {
      order.push_back(name);
    }
  }
  if (!order.empty()) archive.reorder_structures(order);
}

}  // namespace medmask
