#include <gtest/gtest.h>

#include "medmask/error.hpp"
#include "medmask/label_table.hpp"

using medmask::ArgumentError;
using medmask::Label;
using medmask::LabelTable;
using medmask::NotFoundError;

TEST(LabelTable, AddFindAndAt) {
  LabelTable table;
  table.add("liver", 1);
  table.add(Label{"spleen", 300, medmask::Rgb{157, 108, 162}, "the spleen",
                  medmask::CodedConcept{"SCT", "78961009", "Spleen"}});
  ASSERT_EQ(table.size(), 2u);
  EXPECT_EQ(table.at("spleen").value, 300u);
  EXPECT_EQ(table.find_value(1)->name, "liver");
  EXPECT_EQ(table.find("kidney"), nullptr);
  EXPECT_EQ(table.max_value(), 300u);
  EXPECT_EQ(table.at("spleen").concept_code->code, "78961009");
}

TEST(LabelTable, RejectsBadLabels) {
  LabelTable table;
  table.add("liver", 1);
  EXPECT_THROW(table.add("liver", 2), ArgumentError);     // duplicate name
  EXPECT_THROW(table.add("kidney", 1), ArgumentError);    // duplicate value
  EXPECT_THROW(table.add("kidney", 0), ArgumentError);    // background value
  EXPECT_THROW(table.add("", 3), ArgumentError);          // empty name
  EXPECT_THROW(table.add("\xC3\x28", 4), ArgumentError);  // invalid UTF-8
  EXPECT_EQ(table.size(), 1u);
}

TEST(LabelTable, UnknownNameErrorNamesIt) {
  LabelTable table;
  table.add("liver", 1);
  try {
    table.at("livr");
    FAIL() << "expected NotFoundError";
  } catch (const NotFoundError& error) {
    EXPECT_NE(std::string(error.what()).find("livr"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("liver"), std::string::npos);
    EXPECT_EQ(error.code(), medmask::ErrorCode::kNotFound);
  }
}

TEST(Utf8, ValidAndInvalidSequences) {
  EXPECT_TRUE(medmask::is_valid_utf8("rib_left_1"));
  EXPECT_TRUE(medmask::is_valid_utf8("\xE8\x82\x9D"));       // U+809D (liver, CJK)
  EXPECT_TRUE(medmask::is_valid_utf8("\xF0\x9F\xAB\x81"));   // U+1FAC1 (lungs emoji)
  EXPECT_FALSE(medmask::is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(medmask::is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
  EXPECT_FALSE(medmask::is_valid_utf8("\xE8\x82"));          // truncated
  EXPECT_FALSE(medmask::is_valid_utf8("\xF4\x90\x80\x80"));  // beyond U+10FFFF
}
