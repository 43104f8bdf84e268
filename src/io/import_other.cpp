// .seg.nrrd and original medmask files as an ImportedCase; adding a case to an archive.
#include <set>

#include "medmask/error.hpp"
#include "medmask/import.hpp"
#include "medmask/medmask_v1.hpp"
#include "medmask/seg_nrrd.hpp"

namespace medmask {

ImportedCase import_seg_nrrd(const std::string& path, const ReadLimits& limits) {
  SegNrrd segmentation = read_seg_nrrd(path, limits);
  ImportedCase result;
  result.space = segmentation.space;
  std::vector<LabelTable> tables(segmentation.layers.size());
  std::set<std::string> names;
  for (const SegNrrdSegment& segment : segmentation.segments) {
    Label label = segment.label;
    // Slicer keeps segment IDs unique, not names; an archive needs unique names.
    if (!names.insert(label.name).second) {
      const std::string renamed = label.name + " (" + segment.id + ")";
      result.warnings.push_back(path + ": segment name '" + label.name +
                                "' is used twice; segment " + segment.id + " stored as '" +
                                renamed + "'");
      label.name = renamed;
      names.insert(renamed);
    }
    try {
      tables[segment.layer].add(std::move(label));
    } catch (const ArgumentError& e) {
      throw ArgumentError(path + ": segment " + segment.id + ": " + e.what(), path);
    }
  }
  for (std::size_t l = 0; l < segmentation.layers.size(); ++l) {
    const LabelVolume& layer = segmentation.layers[l];
    std::uint64_t unnamed = 0;
    for (const auto& [value, stats] : compute_label_stats(layer)) {
      if (tables[l].find_value(value) == nullptr) unnamed += stats.voxels;
    }
    if (unnamed > 0) {
      result.warnings.push_back(path + ": layer " + std::to_string(l) + " holds " +
                                std::to_string(unnamed) +
                                " voxels of values no segment names; kept, unnamed");
    }
    if (tables[l].max_value() > dtype_max_value(layer.dtype())) {
      segmentation.layers[l] = layer.converted(dtype_for_max_value(tables[l].max_value()));
    }
    result.entries.push_back({"layer" + std::to_string(l),
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
}

}  // namespace medmask
