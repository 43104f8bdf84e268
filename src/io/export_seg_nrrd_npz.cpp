// Exports to 3D Slicer .seg.nrrd and to NumPy .npz (export.hpp).
#include <algorithm>
#include <map>
#include <set>

#include "geometry/space_json.hpp"
#include "io/export_layers.hpp"
#include "io/export_targets.hpp"
#include "io/nrrd_text.hpp"
#include "medmask/error.hpp"
#include "medmask/numpy_io.hpp"
#include "medmask/seg_nrrd.hpp"

namespace medmask::io {

namespace {

constexpr const char* kNpzJsonMember = "medmask";  // read back by import_numpy

bool is_plain_member_name(const std::string& name) {
  if (name.empty() || name == kNpzJsonMember) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

void export_seg_nrrd(const MaskArchive& archive, const std::string& path,
                     const ExportOptions& options, ExportResult& result) {
  if (!ends_with_nocase(path, ".nrrd")) {
    throw ArgumentError(path + ": a Slicer segmentation must end in .seg.nrrd", path);
  }
  const Selection selection = select_structures(archive, options.names);
  std::vector<std::string> names = selection.structures;
  names.insert(names.end(), selection.groups.begin(), selection.groups.end());
  std::vector<ExportLayer> layers =
      pack_for_export(archive, names, Packing::kFirstFit, result.warnings);
  if (layers.empty()) throw ArgumentError(archive.path() + ": no structures to export");
  SegNrrd segmentation{archive.space(), {}, {}};
  std::map<std::string, SegNrrdSegment> segment_of;
  for (std::size_t l = 0; l < layers.size(); ++l) {
    for (const Label& label : layers[l].labels) {
      segment_of[label.name] = {label, static_cast<std::uint32_t>(l), label.name, ""};
    }
    segmentation.layers.push_back(std::move(layers[l].volume));
  }
  // Segments in the archive's order; a group keeps its voxels (Slicer shows them) and names its
  // members in a tag when they are written too, so that pack makes it a group again.
  const std::set<std::string> written(names.begin(), names.end());
  for (const std::string& name : names) {
    SegNrrdSegment& segment = segment_of.at(name);
    const StructureInfo& info = archive.structure(name);
    if (info.is_group() &&
        std::all_of(info.members.begin(), info.members.end(),
                    [&](const std::string& member) { return written.count(member) != 0; })) {
      segment.tags = seg_nrrd_members_tag(info.members);
    }
    segmentation.segments.push_back(std::move(segment));
  }
  write_seg_nrrd(path, segmentation, options.gzip_level);
  result.files.push_back(path);
}

void export_npz(const MaskArchive& archive, const std::string& path, const ExportOptions& options,
                ExportResult& result) {
  if (!ends_with_nocase(path, ".npz")) {
    throw ArgumentError(path + ": a NumPy archive must end in .npz", path);
  }
  const Selection selection = select_structures(archive, options.names);
  std::vector<std::string> names = selection.structures;
  const std::set<std::string> exported(names.begin(), names.end());
  nlohmann::json groups = nlohmann::json::array();
  for (const std::string& group : selection.groups) {
    const std::vector<std::string> members = archive.expand(group);
    const bool defined = std::all_of(members.begin(), members.end(),
                                     [&](const std::string& m) { return exported.count(m) != 0; });
    if (!defined) {
      names.push_back(group);  // its voxels, since not all its members are written
      continue;
    }
    const StructureInfo& info = archive.structure(group);
    Label label = info.label;
    label.name = group;
    nlohmann::json item = label_json(label, false);
    item["members"] = info.members;
    groups.push_back(std::move(item));
  }
  std::vector<ExportLayer> layers =
      pack_for_export(archive, names, Packing::kLayerPerEntry, result.warnings);
  std::vector<std::pair<std::string, LabelVolume>> arrays;
  std::set<std::string> used;
  std::map<std::string, nlohmann::json> label_of;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::string member = layers[i].name;
    if (!is_plain_member_name(member) || used.count(member) != 0) {
      member = "entry" + std::to_string(i);
    }
    used.insert(member);
    for (const Label& label : layers[i].labels) {
      nlohmann::json item = label_json(label);
      item["array"] = member;
      label_of[label.name] = std::move(item);
    }
    arrays.emplace_back(member, std::move(layers[i].volume));
  }
  nlohmann::json labels = nlohmann::json::array();  // in the archive's order, which pack keeps
  for (const std::string& name : names) labels.push_back(std::move(label_of.at(name)));
  const nlohmann::json json{
      {"medmask_npz", 1},
      {"axes", "zyx"},
      {"space", space_to_json(archive.space(), detail::DirectionSpelling::kRows)},
      {"labels", labels},
      {"groups", groups}};
  write_npz(path, arrays, {{kNpzJsonMember, json.dump()}});
  result.files.push_back(path);
}

}  // namespace medmask::io
