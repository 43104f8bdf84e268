// medmask/label_files.hpp: label tables from and to the files other tools keep them in.
//
// Multi-label images carry only numbers; the names live beside them. This reads the common
// places: a JSON mapping, a CSV table, an ITK-SNAP label description file, a 3D Slicer colour
// table, and the Caret XML that TotalSegmentator writes into a NIfTI header extension.
#pragma once

#include <string>
#include <string_view>

#include "medmask/label_table.hpp"

namespace medmask {

enum class LabelFileFormat {
  kAuto,              // by extension and content
  kJson,              // {"liver": 1, ...}, {"1": "liver", ...} or [{"name", "value", "color"}]
  kCsv,               // value,name[,r,g,b] or name,value[,r,g,b]; an optional header row
  kItkSnap,           // IDX R G B A VIS MSH "LABEL" per line
  kSlicerColorTable,  // value name r g b a per line (.ctbl, .txt)
};

// Throws IoError (cannot read), FormatError (a line or field that does not parse, naming the
// line), ArgumentError (duplicate names or values, value 0 given a name other than background).
// Entries with value 0 (background, "Clear Label") are skipped.
LabelTable read_label_table_file(const std::string& path,
                                 LabelFileFormat format = LabelFileFormat::kAuto);
LabelTable parse_label_table(std::string_view text, LabelFileFormat format,
                             const std::string& source_name);

// TotalSegmentator's NIfTI extension (ecode 0): CaretExtension > VolumeInformation > LabelTable >
// Label Key="id" Red Green Blue (0..1) Alpha, name as text. Throws FormatError.
LabelTable parse_caret_label_xml(std::string_view xml, const std::string& source_name);
std::string to_caret_label_xml(const LabelTable& table);

// The JSON that MedMask writes beside exported images:
// {"labels": [{"name", "value", "color": [r, g, b], "description", "concept": {...}}]}.
std::string to_label_json(const LabelTable& table);

}  // namespace medmask
