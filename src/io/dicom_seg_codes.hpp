// dicom_seg_codes.hpp (internal): the DICOM coded concepts and colour TotalSegmentator gives each
// of its structure names: every column of data/totalsegmentator_snomed_mapping.csv, the one table
// behind both pack's colours (medmask/known_labels.hpp) and the DICOM SEG writer's codes.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "medmask/label_table.hpp"

namespace medmask::io {

struct CodeTriple {
  std::string scheme, value, meaning;  // all empty when the concept is absent
  bool empty() const noexcept { return value.empty(); }
};

struct TotalSegmentatorCode {
  std::string name;  // e.g. "adrenal_gland_left"
  CodeTriple category, type, type_modifier, region, region_modifier;
  std::optional<Rgb> color;
};

// The row for a TotalSegmentator class name (exact match), or nullptr. Thread safe.
const TotalSegmentatorCode* find_totalsegmentator_code(std::string_view name);

}  // namespace medmask::io
