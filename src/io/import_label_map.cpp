// Label maps from NIfTI and NumPy files as an ImportedCase (import.hpp).
#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string_view>

#include "geometry/space_json.hpp"
#include "io/label_map_naming.hpp"
#include "medmask/error.hpp"
#include "medmask/import.hpp"
#include "medmask/label_files.hpp"
#include "medmask/numpy_io.hpp"

namespace medmask {

namespace {

constexpr const char* kFirstEntry = "layer0";
constexpr const char* kNpzJsonMember = "medmask";  // written by export_archive (kNpz)

bool ends_with_nocase(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         std::equal(suffix.begin(), suffix.end(), text.end() - static_cast<long>(suffix.size()),
                    [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

void require_shape(const LabelVolume& volume, const Space& space, const std::string& where) {
  if (volume.shape_zyx() == space.shape_zyx()) return;
  if (volume.shape_zyx() == space.shape_xyz()) {
    throw ArgumentError(where + ": array shape " + shape_text(volume.shape_zyx()) +
                            " is the space's (x, y, z) shape, reversed; arrays are (z, y, x), "
                            "expected " +
                            shape_text(space.shape_zyx()) +
                            ": an array indexed [i, j, k] (as nibabel returns them) must be "
                            "saved transposed (array.T)",
                        where);
  }
  throw ArgumentError(where + ": array shape (z, y, x) " + shape_text(volume.shape_zyx()) +
                          " differs from the space's " + shape_text(space.shape_zyx()),
                      where);
}

// The space of arrays of shape_zyx from the caller's geometry.
Space resolve_space(const NumpyGeometry& geometry, const Shape3& shape_zyx,
                    const std::string& path) {
  if (!geometry.given()) {
    throw ArgumentError(
        path +
            ": NumPy files carry no geometry: give a reference space, or an origin and "
            "a spacing (and directions)",
        path, std::nullopt, Remedy::kGiveGeometry);
  }
  if (geometry.space) {
    if (geometry.origin_lps || geometry.spacing_mm) {
      throw ArgumentError(path + ": give a reference space or origin and spacing, not both", path);
    }
    return *geometry.space;
  }
  if (!geometry.origin_lps || !geometry.spacing_mm) {
    throw ArgumentError(path + ": explicit geometry needs both an origin and a spacing", path);
  }
  try {
    return Space({shape_zyx[2], shape_zyx[1], shape_zyx[0]}, *geometry.origin_lps,
                 *geometry.spacing_mm, geometry.direction);
  } catch (const ArgumentError& e) {
    throw ArgumentError(path + ": the given geometry is not valid: " + e.what(), path);
  }
}

void read_groups(const nlohmann::json& json, const std::string& where, const std::string& path,
                 ImportedCase& result);

// MedMask's own .npz (export_archive, kNpz): {"medmask_npz": 1, "space": {...}, "labels":
// [{"name", "value", "array", "color", ...}]}.
ImportedCase import_medmask_npz(const std::string& path, const NpzContents& contents,
                                const nlohmann::json& json, const NumpyGeometry& geometry,
                                const LabelMapOptions& options) {
  const std::string where = path + ": member '" + kNpzJsonMember + "'";
  ImportedCase result;
  result.space = detail::space_from_json(json.value("space", nlohmann::json()),
                                         detail::DirectionSpelling::kRows, where);
  if (geometry.given()) {
    const Space given = resolve_space(geometry, result.space.shape_zyx(), path);
    if (!given.is_close(result.space)) {
      throw ArgumentError(path + ": the given space " + given.to_string() +
                              " differs from the space the file records " +
                              result.space.to_string(),
                          path);
    }
  }
  if (options.labels) {
    result.warnings.push_back({WarningKind::kLabelTableUnused,
                               path + ": the file holds its own label table; the given one is "
                                      "not used"});
  }
  const auto labels = json.find("labels");
  if (labels == json.end() || !labels->is_array()) {
    throw FormatError(where + ": 'labels' must be a list", path);
  }
  for (const auto& [member, volume] : contents.arrays) {
    nlohmann::json own = nlohmann::json::array();
    for (const auto& label : *labels) {
      if (!label.is_object() || !label.contains("array")) {
        throw FormatError(where + ": every label needs an 'array'", path);
      }
      if (label["array"] == member) own.push_back(label);
    }
    const LabelTable table =
        parse_label_table(nlohmann::json{{"labels", own}}.dump(), LabelFileFormat::kJson, where);
    require_shape(volume, result.space, path + ": array '" + member + "'");
    result.entries.push_back({member, SegmentationMask(volume, table, result.space)});
  }
  for (const auto& label : *labels) {
    result.order.push_back(label.value("name", ""));  // the archive's order (export_npz)
    const std::string array = label.value("array", "");
    const bool found = std::any_of(contents.arrays.begin(), contents.arrays.end(),
                                   [&](const auto& a) { return a.first == array; });
    if (!found) {
      throw FormatError(where + ": label '" + label.value("name", "") + "' names array '" + array +
                            "', which the file does not hold",
                        path);
    }
  }
  read_groups(json, where, path, result);
  return result;
}

// MedMask's groups in a JSON object ({"groups": [{"name", "members", "color", ...}]}).
void read_groups(const nlohmann::json& json, const std::string& where, const std::string& path,
                 ImportedCase& result) {
  const auto groups = json.find("groups");
  if (groups != json.end()) {
    if (!groups->is_array()) throw FormatError(where + ": 'groups' must be a list", path);
    for (const auto& group : *groups) {
      if (!group.is_object() || !group.contains("name") || !group["name"].is_string() ||
          !group.contains("members") || !group["members"].is_array()) {
        throw FormatError(where + ": every group needs a 'name' and a list of 'members'", path);
      }
      // The label fields of a group are read like a table entry's (value 1 is a placeholder).
      nlohmann::json item = group;
      item["value"] = 1;
      const LabelTable one = parse_label_table(nlohmann::json{{"labels", {item}}}.dump(),
                                               LabelFileFormat::kJson, where);
      std::vector<std::string> members;
      for (const auto& member : group["members"]) {
        if (!member.is_string()) throw FormatError(where + ": group members must be names", path);
        members.push_back(member.get<std::string>());
      }
      result.groups.push_back(
          {group["name"].get<std::string>(), std::move(members), one.labels().front()});
    }
  }
}

// The order and groups MedMask's multi-label export adds to its label JSON (ecode 6).
void read_case_extras(const std::vector<NiftiExtension>& extensions, const std::string& path,
                      ImportedCase& result) {
  for (const NiftiExtension& extension : extensions) {
    if (extension.code != kNiftiEcodeComment) continue;
    std::string_view text = extension.data;
    while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
    const nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
    if (json.is_discarded() || !json.is_object() || !json.contains("medmask_labels")) continue;
    const std::string where = path + ": MedMask label extension (ecode 6)";
    read_groups(json, where, path, result);
    if (const auto order = json.find("order"); order != json.end() && order->is_array()) {
      for (const auto& name : *order) {
        if (name.is_string()) result.order.push_back(name.get<std::string>());
      }
    }
    return;
  }
}

ImportedCase import_npz(const std::string& path, const NumpyGeometry& geometry,
                        const LabelMapOptions& options) {
  const NpzContents contents = read_npz(path);
  for (const auto& [member, text] : contents.texts) {
    if (member != kNpzJsonMember) continue;
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_discarded() && json.is_object() && json.contains("medmask_npz")) {
      return import_medmask_npz(path, contents, json, geometry, options);
    }
  }
  if (contents.arrays.empty()) {
    throw ArgumentError(path + ": holds no 3-D array", path);
  }
  ImportedCase result;
  result.space = resolve_space(geometry, contents.arrays.front().second.shape_zyx(), path);
  for (const std::string& member : contents.skipped) {
    result.warnings.push_back(
        {WarningKind::kSkippedInput,
         path + ": member '" + member + "' is not a 3-D label array; skipped"});
  }
  for (const auto& [member, volume] : contents.arrays) {
    const std::string where = path + ": array '" + member + "'";
    require_shape(volume, result.space, where);
    if (volume.max_value() <= 1) {
      result.structures.push_back({member, volume, {}});
    } else {
      result.entries.push_back(
          {member, io::named_label_map(volume, options.labels, options.allow_unnamed, result.space,
                                       where, result.warnings)});
    }
  }
  return result;
}

}  // namespace

ImportedCase import_label_nifti(const std::string& path, const LabelMapOptions& options,
                                const NiftiReadOptions& nifti_options) {
  return import_label_nifti(read_nifti(path, nifti_options), path, options);
}

ImportedCase import_label_nifti(NiftiImage image, const std::string& path,
                                const LabelMapOptions& options) {
  ImportedCase result;
  result.space = image.space;
  for (const Warning& warning : image.warnings) {
    result.warnings.push_back({warning.kind, path + ": " + warning.text});
  }
  std::optional<LabelTable> table = options.labels;
  if (!table) table = label_table_from_extensions(image.extensions, path);
  if (!options.labels) read_case_extras(image.extensions, path, result);
  result.entries.push_back(
      {kFirstEntry, io::named_label_map(std::move(image.volume), table, options.allow_unnamed,
                                        result.space, path, result.warnings)});
  return result;
}

ImportedCase import_numpy(const std::string& path, const NumpyGeometry& geometry,
                          const LabelMapOptions& options) {
  if (ends_with_nocase(path, ".npz")) return import_npz(path, geometry, options);
  if (!ends_with_nocase(path, ".npy")) {
    throw ArgumentError(path + ": expected a .npy or .npz file", path);
  }
  LabelVolume volume = read_npy(path);
  ImportedCase result;
  result.space = resolve_space(geometry, volume.shape_zyx(), path);
  require_shape(volume, result.space, path);
  result.entries.push_back(
      {kFirstEntry, io::named_label_map(std::move(volume), options.labels, options.allow_unnamed,
                                        result.space, path, result.warnings)});
  return result;
}

}  // namespace medmask
