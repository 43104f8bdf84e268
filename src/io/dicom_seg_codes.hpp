// dicom_seg_codes.hpp (internal): DICOM coded concepts for TotalSegmentator's structure names.
#pragma once

#include <cstdint>
#include <string_view>

namespace medmask::detail {

struct CodeTriple {
  std::string_view scheme, value, meaning;  // all empty when the concept is absent
  bool empty() const noexcept { return value.empty(); }
};

struct TotalSegmentatorCode {
  std::string_view name;  // e.g. "adrenal_gland_left"
  CodeTriple category, type, type_modifier, region, region_modifier;
  std::uint8_t rgb[3];
};

// The row for a TotalSegmentator class name (exact match), or nullptr.
const TotalSegmentatorCode* find_totalsegmentator_code(std::string_view name);

}  // namespace medmask::detail
