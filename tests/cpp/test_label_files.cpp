// Label tables from the files other tools write; expected values are written by hand here.
#include <gtest/gtest.h>

#include "medmask/error.hpp"
#include "medmask/label_files.hpp"

using namespace medmask;

TEST(LabelFiles, JsonNameToValueValueToNameAndList) {
  const auto a =
      parse_label_table(R"({"spleen": 1, "kidney_right": 2})", LabelFileFormat::kAuto, "a.json");
  EXPECT_EQ(a.at("kidney_right").value, 2u);
  const auto b = parse_label_table(R"({"0": "background", "1": "spleen", "300": "liver"})",
                                   LabelFileFormat::kJson, "b.json");
  EXPECT_EQ(b.size(), 2u);  // background skipped
  EXPECT_EQ(b.at("liver").value, 300u);
  const auto c = parse_label_table(
      R"({"labels": [{"name": "spleen", "value": 1, "color": [157, 108, 162],
          "description": "organ", "concept": {"scheme": "SCT", "code": "78961009",
          "meaning": "Spleen"}}]})",
      LabelFileFormat::kAuto, "c.json");
  EXPECT_EQ(c.at("spleen").color, (Rgb{157, 108, 162}));
  EXPECT_EQ(c.at("spleen").description, "organ");
  EXPECT_EQ(c.at("spleen").concept_code->meaning, "Spleen");
  // Round trip through the sidecar JSON MedMask writes.
  EXPECT_EQ(parse_label_table(to_label_json(c), LabelFileFormat::kJson, "c2.json"), c);
}

TEST(LabelFiles, CsvWithHeaderAndColours) {
  const auto table =
      parse_label_table("value,name,r,g,b\n1,spleen,157,108,162\n2,\"kidney, right\",185,102,83\n",
                        LabelFileFormat::kAuto, "labels.csv");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.at("kidney, right").value, 2u);
  EXPECT_EQ(table.at("spleen").color, (Rgb{157, 108, 162}));
  const auto swapped = parse_label_table("spleen,1\nliver,5\n", LabelFileFormat::kCsv, "x.csv");
  EXPECT_EQ(swapped.at("liver").value, 5u);
}

TEST(LabelFiles, ItkSnapDescriptionFile) {
  const char* text = R"(################################################
# ITK-SnAP Label Description File
################################################
    0     0    0    0        0  0  0    "Clear Label"
    1   255    0    0        1  1  1    "Left lung upper lobe"
    2     0  255    0        1  1  1    "Liver"
)";
  const auto table = parse_label_table(text, LabelFileFormat::kAuto, "labels.txt");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.at("Left lung upper lobe").value, 1u);
  EXPECT_EQ(table.at("Liver").color, (Rgb{0, 255, 0}));
}

TEST(LabelFiles, SlicerColorTable) {
  const char* text =
      "# Color table file\n# 3 values\n0 Background 0 0 0 0\n"
      "1 spleen 157 108 162 255\n2 kidney_right 185 102 83 255\n";
  const auto table = parse_label_table(text, LabelFileFormat::kAuto, "colors.ctbl");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.at("kidney_right").color, (Rgb{185, 102, 83}));
}

TEST(LabelFiles, BadLinesNameTheLine) {
  try {
    parse_label_table("1 spleen 1 2 3 255\nx liver 1 2 3 255\n", LabelFileFormat::kSlicerColorTable,
                      "colors.ctbl");
    FAIL() << "expected FormatError";
  } catch (const FormatError& error) {
    EXPECT_NE(std::string(error.what()).find("line 2"), std::string::npos) << error.what();
  }
  EXPECT_THROW(parse_label_table("{\"a\": 1, \"b\": 1}", LabelFileFormat::kJson, "d.json"),
               ArgumentError);  // duplicate value
  EXPECT_THROW(parse_label_table("{not json", LabelFileFormat::kJson, "e.json"), FormatError);
  EXPECT_THROW(parse_label_table("{\"a\": -3}", LabelFileFormat::kJson, "f.json"), FormatError);
  EXPECT_THROW(read_label_table_file("/nonexistent/labels.json"), IoError);
}

TEST(CaretXml, TotalSegmentatorExtension) {
  // The shape TotalSegmentator writes (totalsegmentator/nifti_ext_header.py).
  const char* xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<CaretExtension>
  <Date><![CDATA[2024-01-01T00:00:00]]></Date>
  <VolumeInformation Index="0">
    <LabelTable>
      <Label Key="0" Red="0" Green="0" Blue="0" Alpha="0"><![CDATA[background]]></Label>
      <Label Key="1" Red="1" Green="0" Blue="0" Alpha="1"><![CDATA[spleen]]></Label>
      <Label Key="2" Red="0" Green="0.5" Blue="0" Alpha="1"><![CDATA[kidney_right]]></Label>
    </LabelTable>
  </VolumeInformation>
</CaretExtension>)";
  const auto table = parse_caret_label_xml(xml, "ml.nii.gz");
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.at("spleen").color, (Rgb{255, 0, 0}));
  EXPECT_EQ(table.at("kidney_right").value, 2u);
  EXPECT_EQ(table.at("kidney_right").color, (Rgb{0, 128, 0}));
  const auto again = parse_caret_label_xml(to_caret_label_xml(table), "again");
  EXPECT_EQ(again, table);
  EXPECT_THROW(parse_caret_label_xml("<CaretExtension>", "bad"), FormatError);
  EXPECT_THROW(parse_caret_label_xml("<Other/>", "bad"), FormatError);
}
