// Label tables in NIfTI header extensions: TotalSegmentator's Caret XML and MedMask's JSON.
#include <nlohmann/json.hpp>
#include <string_view>

#include "medmask/error.hpp"
#include "medmask/label_files.hpp"
#include "medmask/nifti.hpp"

namespace medmask {

namespace {

constexpr std::int32_t kNiftiEcodeCaret = 30;  // the registered code; TotalSegmentator uses 0
constexpr const char* kMedmaskLabelsKey = "medmask_labels";

// Extension payloads are zero-padded to a multiple of 16 bytes.
std::string_view payload(const NiftiExtension& extension) {
  std::string_view text = extension.data;
  while (!text.empty() && text.back() == '\0') text.remove_suffix(1);
  return text;
}

bool is_medmask_json(std::string_view text) {
  if (text.empty() || text.front() != '{') return false;
  const auto json = nlohmann::json::parse(text, nullptr, false);
  return !json.is_discarded() && json.is_object() && json.contains(kMedmaskLabelsKey);
}

bool is_caret_xml(std::string_view text) {
  return text.find("<CaretExtension") != std::string_view::npos;
}

}  // namespace

std::vector<NiftiExtension> label_table_extensions(const LabelTable& table) {
  nlohmann::json json = nlohmann::json::parse(to_label_json(table));
  json[kMedmaskLabelsKey] = 1;
  return {NiftiExtension{kNiftiEcodeCaretLabels, to_caret_label_xml(table)},
          NiftiExtension{kNiftiEcodeComment, json.dump()}};
}

std::optional<LabelTable> label_table_from_extensions(const std::vector<NiftiExtension>& extensions,
                                                      const std::string& source_name) {
  for (const NiftiExtension& extension : extensions) {
    const std::string_view text = payload(extension);
    if (extension.code == kNiftiEcodeComment && is_medmask_json(text)) {
      return parse_label_table(text, LabelFileFormat::kJson,
                               source_name + ": MedMask label extension (ecode 6)");
    }
  }
  for (const NiftiExtension& extension : extensions) {
    const std::string_view text = payload(extension);
    if ((extension.code == kNiftiEcodeCaretLabels || extension.code == kNiftiEcodeCaret) &&
        is_caret_xml(text)) {
      return parse_caret_label_xml(text, source_name + ": Caret label extension (ecode " +
                                             std::to_string(extension.code) + ")");
    }
  }
  return std::nullopt;
}

}  // namespace medmask
