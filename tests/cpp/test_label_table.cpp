#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

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

// Small tables are searched in order, large ones through maps: every lookup, duplicate check
// and removal agrees with a plain list whichever side of the switch the table is on.
TEST(LabelTable, LookupsHoldAcrossGrowthAndRemoval) {
  LabelTable table;
  std::vector<std::pair<std::string, std::uint32_t>> expected;
  const auto check = [&] {
    ASSERT_EQ(table.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      const auto& [name, value] = expected[i];
      EXPECT_EQ(table.labels()[i].name, name);
      ASSERT_NE(table.find(name), nullptr) << name;
      EXPECT_EQ(table.find(name)->value, value);
      ASSERT_NE(table.find_value(value), nullptr) << value;
      EXPECT_EQ(table.find_value(value)->name, name);
      EXPECT_THROW(table.add(name, 10'000), ArgumentError);
      EXPECT_THROW(table.add("new", value), ArgumentError);
    }
    EXPECT_EQ(table.find("absent"), nullptr);
    EXPECT_EQ(table.find_value(9'999), nullptr);
  };
  for (std::uint32_t v = 1; v <= 40; ++v) {
    expected.emplace_back("s" + std::to_string(v), v * 3);
    table.add(expected.back().first, expected.back().second);
    check();
  }
  // Remove from the middle, the front and the back until the table is empty.
  for (const std::size_t at : {20u, 0u, 37u, 5u}) {
    EXPECT_TRUE(table.remove(expected[at].first));
    expected.erase(expected.begin() + static_cast<std::ptrdiff_t>(at));
    check();
  }
  EXPECT_FALSE(table.remove("absent"));
  while (!expected.empty()) {
    const std::size_t at = expected.size() / 2;
    EXPECT_TRUE(table.remove(expected[at].first));
    expected.erase(expected.begin() + static_cast<std::ptrdiff_t>(at));
    check();
  }
  table.add("again", 3);
  EXPECT_EQ(table.at("again").value, 3u);
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
