// Label tables from JSON, CSV, ITK-SNAP and Slicer colour-table files.
#include "medmask/label_files.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "core/label_json.hpp"
#include "detail/file_io.hpp"
#include "medmask/error.hpp"

namespace medmask {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
    text.remove_prefix(1);
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
    text.remove_suffix(1);
  }
  return text;
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
  text = trim(text);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  double value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Adds a label read from a file, skipping background and turning caller errors into
// errors that name the source line. label.value is set from value.
void add_from_file(LabelTable& table, std::int64_t value, Label label, const std::string& where) {
  if (value == 0) return;  // background ("Clear Label", "background")
  if (value < 0 || value > 0xFFFFFFFFLL) {
    throw FormatError(where + ": label value " + std::to_string(value) + " is not in 1..2^32-1");
  }
  label.value = static_cast<std::uint32_t>(value);
  try {
    table.add(std::move(label));
  } catch (const ArgumentError& error) {
    throw ArgumentError(where + ": " + error.what());
  }
}

void add_from_file(LabelTable& table, std::int64_t value, std::string name,
                   std::optional<Rgb> color, const std::string& where) {
  add_from_file(table, value, Label{std::move(name), 0, color, {}, {}}, where);
}

std::uint8_t colour_channel(double value, bool unit_range, const std::string& where) {
  const double scaled = unit_range ? value * 255.0 : value;
  if (!(scaled >= 0 && scaled <= 255.5)) {
    throw FormatError(where + ": colour component " + std::to_string(value) + " is out of range");
  }
  return static_cast<std::uint8_t>(scaled + 0.5);
}

std::uint8_t colour_channel(std::string_view text, bool unit_range, const std::string& where) {
  const auto value = parse_number(text);
  if (!value)
    throw FormatError(where + ": colour component '" + std::string(text) + "' is not a number");
  return colour_channel(*value, unit_range, where);
}

std::vector<std::string> split_lines(std::string_view text) {
  std::vector<std::string> lines;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

// Whitespace-separated fields; a double-quoted field may hold spaces.
std::vector<std::string> split_fields(std::string_view line) {
  std::vector<std::string> fields;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i]))) ++i;
    if (i >= line.size()) break;
    if (line[i] == '"') {
      const std::size_t end = line.find('"', i + 1);
      fields.emplace_back(line.substr(i + 1, end == std::string_view::npos ? end : end - i - 1));
      i = end == std::string_view::npos ? line.size() : end + 1;
    } else {
      std::size_t end = i;
      while (end < line.size() && !std::isspace(static_cast<unsigned char>(line[end]))) ++end;
      fields.emplace_back(line.substr(i, end - i));
      i = end;
    }
  }
  return fields;
}

std::optional<Rgb> json_colour(const nlohmann::json& colour, const std::string& where) {
  if (colour.is_null()) return std::nullopt;
  if (!colour.is_array() || colour.size() != 3) {
    throw FormatError(where + ": colour must be a list [r, g, b]");
  }
  const bool unit_range = std::all_of(colour.begin(), colour.end(), [](const nlohmann::json& c) {
    return c.is_number_float() && c.get<double>() <= 1.0;
  });
  Rgb rgb;
  std::uint8_t* channels[3] = {&rgb.r, &rgb.g, &rgb.b};
  for (std::size_t i = 0; i < 3; ++i) {
    if (!colour[i].is_number()) throw FormatError(where + ": colour holds a non-number");
    *channels[i] = colour_channel(colour[i].get<double>(), unit_range, where);
  }
  return rgb;
}

LabelTable parse_json_table(std::string_view text, const std::string& source) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) throw FormatError(source + ": not valid JSON");
  LabelTable table;
  const nlohmann::json* list = &json;
  if (json.is_object() && json.contains("labels") && json["labels"].is_array()) {
    list = &json["labels"];
  }
  if (list->is_array()) {
    std::size_t index = 0;
    for (const auto& item : *list) {
      const std::string where = source + ": labels[" + std::to_string(index++) + "]";
      if (!item.is_object() || !item.contains("name") || !item["name"].is_string() ||
          !item.contains("value") || !item["value"].is_number_integer()) {
        throw FormatError(where + ": needs a string 'name' and an integer 'value'");
      }
      Label label{item["name"].get<std::string>(),
                  0,
                  json_colour(item.value("color", nlohmann::json()), where),
                  {},
                  {}};
      if (item.contains("description") && item["description"].is_string()) {
        label.description = item["description"].get<std::string>();
      }
      if (item.contains("concept") && item["concept"].is_object()) {
        const auto& c = item["concept"];
        label.concept_code =
            CodedConcept{c.value("scheme", ""), c.value("code", ""), c.value("meaning", "")};
      }
      add_from_file(table, item["value"].get<std::int64_t>(), std::move(label), where);
    }
    return table;
  }
  if (!json.is_object()) throw FormatError(source + ": expected a JSON object or list of labels");
  for (const auto& [key, value] : json.items()) {
    const std::string where = source + ": key '" + key + "'";
    if (value.is_number_integer()) {  // {"liver": 1}
      add_from_file(table, value.get<std::int64_t>(), key, std::nullopt, where);
    } else if (value.is_string()) {  // {"1": "liver"}
      const auto number = parse_integer(key);
      if (!number) throw FormatError(where + ": key must be a label value when values are names");
      add_from_file(table, *number, value.get<std::string>(), std::nullopt, where);
    } else {
      throw FormatError(where + ": value must be a label value or a name");
    }
  }
  return table;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',' || c == ';' || c == '\t') {
      fields.emplace_back(trim(field));
      field.clear();
    } else {
      field += c;
    }
  }
  fields.emplace_back(trim(field));
  return fields;
}

LabelTable parse_csv_table(std::string_view text, const std::string& source) {
  LabelTable table;
  const auto lines = split_lines(text);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string where = source + ": line " + std::to_string(n + 1);
    if (trim(lines[n]).empty() || trim(lines[n]).front() == '#') continue;
    const auto fields = split_csv(lines[n]);
    if (fields.size() < 2) throw FormatError(where + ": expected at least value and name");
    auto value = parse_integer(fields[0]);
    std::string name = fields[1];
    if (!value) {
      value = parse_integer(fields[1]);
      name = fields[0];
    }
    if (!value) {
      if (n == 0 || table.empty()) continue;  // a header row such as "value,name"
      throw FormatError(where + ": no integer label value in '" + lines[n] + "'");
    }
    std::optional<Rgb> colour;
    if (fields.size() >= 5) {
      bool unit = true;
      for (std::size_t i = 2; i < 5; ++i) unit = unit && parse_number(fields[i]).value_or(2) <= 1.0;
      unit = unit && fields[2].find('.') != std::string::npos;
      colour = Rgb{colour_channel(fields[2], unit, where), colour_channel(fields[3], unit, where),
                   colour_channel(fields[4], unit, where)};
    }
    add_from_file(table, *value, name, colour, where);
  }
  return table;
}

// ITK-SNAP: IDX -R- -G- -B- -A-- VIS MSH "LABEL"; Slicer: value name r g b a.
LabelTable parse_whitespace_table(std::string_view text, bool itk_snap, const std::string& source) {
  LabelTable table;
  const auto lines = split_lines(text);
  for (std::size_t n = 0; n < lines.size(); ++n) {
    const std::string where = source + ": line " + std::to_string(n + 1);
    const std::string_view line = trim(lines[n]);
    if (line.empty() || line.front() == '#') continue;
    const auto fields = split_fields(line);
    const std::size_t needed = itk_snap ? 8 : 2;
    if (fields.size() < needed) {
      throw FormatError(where + ": expected " + std::to_string(needed) + " fields, found " +
                        std::to_string(fields.size()));
    }
    const auto value = parse_integer(fields[0]);
    if (!value) throw FormatError(where + ": label value '" + fields[0] + "' is not an integer");
    const std::string& name = itk_snap ? fields[7] : fields[1];
    std::optional<Rgb> colour;
    if (fields.size() >= 5) {
      const std::size_t first = itk_snap ? 1 : 2;
      colour = Rgb{colour_channel(fields[first], false, where),
                   colour_channel(fields[first + 1], false, where),
                   colour_channel(fields[first + 2], false, where)};
    }
    add_from_file(table, *value, name, colour, where);
  }
  return table;
}

LabelFileFormat detect_format(const std::string& path, std::string_view text) {
  const std::string extension = lower(std::filesystem::path(path).extension().string());
  if (extension == ".json") return LabelFileFormat::kJson;
  if (extension == ".csv" || extension == ".tsv") return LabelFileFormat::kCsv;
  if (extension == ".ctbl") return LabelFileFormat::kSlicerColorTable;
  const std::string_view start = trim(text);
  if (!start.empty() && (start.front() == '{' || start.front() == '[')) {
    return LabelFileFormat::kJson;
  }
  // ITK-SNAP files quote their label names; Slicer colour tables do not.
  for (const auto& line : split_lines(text)) {
    const std::string_view t = trim(line);
    if (t.empty() || t.front() == '#') continue;
    if (t.find('"') != std::string_view::npos) return LabelFileFormat::kItkSnap;
    if (t.find(',') != std::string_view::npos) return LabelFileFormat::kCsv;
    return LabelFileFormat::kSlicerColorTable;
  }
  return LabelFileFormat::kSlicerColorTable;
}

}  // namespace

LabelTable parse_label_table(std::string_view text, LabelFileFormat format,
                             const std::string& source_name) {
  if (format == LabelFileFormat::kAuto) format = detect_format(source_name, text);
  switch (format) {
    case LabelFileFormat::kJson:
      return parse_json_table(text, source_name);
    case LabelFileFormat::kCsv:
      return parse_csv_table(text, source_name);
    case LabelFileFormat::kItkSnap:
      return parse_whitespace_table(text, true, source_name);
    case LabelFileFormat::kSlicerColorTable:
    case LabelFileFormat::kAuto:
      break;
  }
  return parse_whitespace_table(text, false, source_name);
}

LabelTable read_label_table_file(const std::string& path, LabelFileFormat format) {
  const std::vector<std::uint8_t> bytes = detail::read_file(path);
  return parse_label_table(std::string(bytes.begin(), bytes.end()), format, path);
}

std::string to_label_json(const LabelTable& table) {
  nlohmann::json labels = nlohmann::json::array();
  for (const Label& label : table) {
    nlohmann::json item = detail::label_to_json<nlohmann::json>(label);
    labels.push_back(std::move(item));
  }
  return nlohmann::json{{"labels", labels}}.dump(2);
}

}  // namespace medmask
