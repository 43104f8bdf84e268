// TotalSegmentator's label names: Caret XML in a NIfTI extension (docs/IMPORT_EXPORT.md
// "Label tables in NIfTI header extensions").
#include <pugixml.hpp>
#include <sstream>

#include "medmask/error.hpp"
#include "medmask/label_files.hpp"

namespace medmask {

namespace {

std::uint8_t unit_to_byte(double value) {
  if (!(value >= 0.0 && value <= 1.0)) return 0;
  return static_cast<std::uint8_t>(value * 255.0 + 0.5);
}

}  // namespace

LabelTable parse_caret_label_xml(std::string_view xml, const std::string& source_name) {
  pugi::xml_document document;
  const pugi::xml_parse_result parsed = document.load_buffer(xml.data(), xml.size());
  if (!parsed) {
    throw FormatError(source_name + ": the label table XML is malformed: " + parsed.description(),
                      source_name, static_cast<std::uint64_t>(parsed.offset));
  }
  const pugi::xml_node table_node =
      document.child("CaretExtension").child("VolumeInformation").child("LabelTable");
  if (!table_node) {
    throw FormatError(source_name +
                      ": label XML has no CaretExtension/VolumeInformation/LabelTable element");
  }
  LabelTable table;
  for (const pugi::xml_node label_node : table_node.children("Label")) {
    const pugi::xml_attribute key = label_node.attribute("Key");
    const long long value = key.as_llong(-1);
    const std::string name = label_node.text().as_string();
    if (!key || value < 0 || value > 0xFFFFFFFFLL) {
      throw FormatError(source_name + ": label XML: Label '" + name + "' has no valid Key");
    }
    if (value == 0) continue;  // background
    Label label{name,
                static_cast<std::uint32_t>(value),
                Rgb{unit_to_byte(label_node.attribute("Red").as_double(0)),
                    unit_to_byte(label_node.attribute("Green").as_double(0)),
                    unit_to_byte(label_node.attribute("Blue").as_double(0))},
                {},
                {}};
    try {
      table.add(std::move(label));
    } catch (const ArgumentError& error) {
      throw FormatError(source_name + ": label XML: " + error.what());
    }
  }
  return table;
}

std::string to_caret_label_xml(const LabelTable& table) {
  pugi::xml_document document;
  pugi::xml_node label_table = document.append_child("CaretExtension")
                                   .append_child("VolumeInformation")
                                   .append_child("LabelTable");
  for (const Label& label : table) {
    pugi::xml_node node = label_table.append_child("Label");
    node.append_attribute("Key") = static_cast<unsigned long long>(label.value);
    const Rgb colour = label.color.value_or(Rgb{255, 255, 255});
    node.append_attribute("Red") = colour.r / 255.0;
    node.append_attribute("Green") = colour.g / 255.0;
    node.append_attribute("Blue") = colour.b / 255.0;
    node.append_attribute("Alpha") = 1;
    node.append_child(pugi::node_cdata).set_value(label.name.c_str());
  }
  std::ostringstream out;
  document.save(out, "  ");
  return out.str();
}

}  // namespace medmask
