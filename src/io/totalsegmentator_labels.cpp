// TotalSegmentator's colours and concepts (medmask/known_labels.hpp, io/dicom_seg_codes.hpp) from
// data/totalsegmentator_snomed_mapping.csv, and generated colours.
#include <cmath>
#include <map>
#include <string_view>
#include <vector>

#include "io/dicom_seg_codes.hpp"
#include "medmask/known_labels.hpp"

namespace medmask {

namespace io {
extern const std::string_view kTotalSegmentatorTable;  // generated from data/*.csv
}  // namespace io

namespace {

// One CSV record's fields (RFC 4180 quoting: "a,b" and "" for a quote).
std::vector<std::string> fields_of(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      out.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

std::optional<Rgb> rgb_of(const std::string& text) {
  const std::vector<std::string> parts = fields_of(text);
  if (parts.size() != 3) return std::nullopt;
  int v[3];
  for (std::size_t i = 0; i < 3; ++i) {
    try {
      v[i] = std::stoi(parts[i]);
    } catch (const std::exception&) {
      return std::nullopt;
    }
    if (v[i] < 0 || v[i] > 255) return std::nullopt;
  }
  return Rgb{static_cast<std::uint8_t>(v[0]), static_cast<std::uint8_t>(v[1]),
             static_cast<std::uint8_t>(v[2])};
}

// Columns by header name, so a reordered table still reads right.
std::map<std::string, io::TotalSegmentatorCode, std::less<>> parse_table() {
  std::map<std::string, io::TotalSegmentatorCode, std::less<>> out;
  std::string_view text = io::kTotalSegmentatorTable;
  std::vector<std::string> header;
  std::map<std::string, std::size_t> column;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    std::vector<std::string> fields = fields_of(line);
    if (header.empty()) {
      header = fields;
      for (std::size_t i = 0; i < header.size(); ++i) column[header[i]] = i;
      continue;
    }
    const auto get = [&](const std::string& key) -> std::string {
      const auto it = column.find(key);
      return it != column.end() && it->second < fields.size() ? fields[it->second] : "";
    };
    const auto code = [&](const std::string& sequence) {
      return io::CodeTriple{get(sequence + ".CodingSchemeDesignator"), get(sequence + ".CodeValue"),
                            get(sequence + ".CodeMeaning")};
    };
    io::TotalSegmentatorCode row;
    row.name = get("Structure");
    if (row.name.empty()) continue;
    row.category = code("SegmentedPropertyCategoryCodeSequence");
    row.type = code("SegmentedPropertyTypeCodeSequence");
    row.type_modifier = code("SegmentedPropertyTypeModifierCodeSequence");
    row.region = code("AnatomicRegionSequence");
    row.region_modifier = code("AnatomicRegionModifierSequence");
    row.color = rgb_of(get("DicomRGBColor"));
    std::string name = row.name;
    out.emplace(std::move(name), std::move(row));
  }
  return out;
}

}  // namespace

namespace io {

const TotalSegmentatorCode* find_totalsegmentator_code(std::string_view name) {
  static const std::map<std::string, TotalSegmentatorCode, std::less<>> table = parse_table();
  const auto it = table.find(name);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace io

std::optional<Label> totalsegmentator_label(const std::string& name) {
  const io::TotalSegmentatorCode* row = io::find_totalsegmentator_code(name);
  if (row == nullptr) return std::nullopt;
  Label label;
  label.name = row->name;
  label.color = row->color;
  if (!row->type.empty()) {
    label.concept_code = CodedConcept{row->type.scheme, row->type.value, row->type.meaning};
  }
  return label;
}

Rgb generated_color(std::size_t index) {
  // HSV with the hue stepped by the golden ratio of a turn, fixed saturation and value.
  const double hue = std::fmod(0.1 + static_cast<double>(index) * 0.6180339887498949, 1.0) * 6.0;
  const double s = 0.65, v = 0.92;
  const double f = hue - std::floor(hue);
  const double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
  double r = v, g = t, b = p;
  switch (static_cast<int>(hue) % 6) {
    case 1:
      r = q, g = v, b = p;
      break;
    case 2:
      r = p, g = v, b = t;
      break;
    case 3:
      r = p, g = q, b = v;
      break;
    case 4:
      r = t, g = p, b = v;
      break;
    case 5:
      r = v, g = p, b = q;
      break;
    default:
      break;
  }
  const auto byte = [](double x) { return static_cast<std::uint8_t>(std::lround(x * 255.0)); };
  return Rgb{byte(r), byte(g), byte(b)};
}

}  // namespace medmask
