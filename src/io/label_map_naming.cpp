// Naming the values of an imported label map (see label_map_naming.hpp).
#include "io/label_map_naming.hpp"

#include <algorithm>

#include "medmask/error.hpp"

namespace medmask::io {

namespace {

constexpr std::size_t kListedInMessages = 8;  // longer lists are cut, with a count

std::string generated_name(std::uint32_t value) { return "label_" + std::to_string(value); }

template <class T, class Text>
std::string listed(const std::vector<T>& items, Text text) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < kListedInMessages; ++i) {
    out += (i ? ", " : "") + text(items[i]);
  }
  if (items.size() > kListedInMessages) {
    out += ", ... (" + std::to_string(items.size()) + " in all)";
  }
  return out;
}

}  // namespace

SegmentationMask named_label_map(LabelVolume volume, const std::optional<LabelTable>& table,
                                 bool allow_unnamed, const Space& space, const std::string& source,
                                 Warnings& warnings) {
  const std::map<std::uint32_t, LabelStats> present = compute_label_stats(volume);
  LabelTable labels = table.value_or(LabelTable{});
  std::vector<std::uint32_t> unnamed;
  for (const auto& [value, stats] : present) {
    if (labels.find_value(value) == nullptr) unnamed.push_back(value);
  }
  if (table && !unnamed.empty()) {
    std::uint64_t voxels = 0;
    for (std::uint32_t value : unnamed) voxels += present.at(value).voxels;
    const std::string values = listed(unnamed, [](std::uint32_t v) { return std::to_string(v); });
    if (!allow_unnamed) {
      throw ArgumentError(
          source +
              ": label values present in the image but not in the label "
              "table: " +
              values + " (" + std::to_string(voxels) +
              " voxels); name them in the table, or allow unnamed values to store them "
              "as label_<value>",
          source, std::nullopt, Remedy::kAllowUnnamedValues);
    }
    warnings.push_back(
        {WarningKind::kUnnamedValues,
         source + ": values not in the label table stored as label_<value>: " + values});
  }
  for (std::uint32_t value : unnamed) {
    try {
      labels.add(generated_name(value), value);
    } catch (const ArgumentError& e) {
      throw ArgumentError(source + ": cannot name value " + std::to_string(value) + ": " + e.what(),
                          source);
    }
  }
  if (table) {
    std::vector<std::string> absent;
    for (const Label& label : labels) {
      if (present.count(label.value) == 0) absent.push_back(label.name);
    }
    if (!absent.empty()) {
      warnings.push_back({WarningKind::kEmptyLabels,
                          source + ": " + std::to_string(absent.size()) + " of " +
                              std::to_string(labels.size()) +
                              " named labels have no voxels; kept as empty structures: " +
                              listed(absent, [](const std::string& name) { return name; })});
    }
  }
  if (labels.max_value() > dtype_max_value(volume.dtype())) {
    volume = volume.converted(dtype_for_max_value(labels.max_value()));
  }
  return SegmentationMask(std::move(volume), std::move(labels), space);
}

}  // namespace medmask::io
