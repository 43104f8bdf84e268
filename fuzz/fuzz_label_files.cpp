// fuzz/fuzz_label_files.cpp: label tables as JSON, CSV, ITK-SNAP, Slicer colour table, and
// TotalSegmentator's Caret XML. Byte 0 picks the parser (the seeds carry the right one), the
// rest is the text.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_support.hpp"
#include "medmask/label_files.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  return medmask::fuzz::expect_typed_errors([&] {
    switch (data[0] % 6) {
      case 0:
        (void)medmask::parse_label_table(text, medmask::LabelFileFormat::kJson, "f.json");
        break;
      case 1:
        (void)medmask::parse_label_table(text, medmask::LabelFileFormat::kCsv, "f.csv");
        break;
      case 2:
        (void)medmask::parse_label_table(text, medmask::LabelFileFormat::kItkSnap, "f.txt");
        break;
      case 3:
        (void)medmask::parse_label_table(text, medmask::LabelFileFormat::kSlicerColorTable,
                                         "f.ctbl");
        break;
      case 4:
        (void)medmask::parse_label_table(text, medmask::LabelFileFormat::kAuto, "f.txt");
        break;
      default:
        (void)medmask::parse_caret_label_xml(text, "f.xml");
        break;
    }
  });
}
