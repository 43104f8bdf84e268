// The strict JSON reader of the archive index (detail/strict_json.hpp): what it refuses, and the
// values it gives back, compared with nlohmann's reading of the same text.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "detail/strict_json.hpp"

namespace medmask::detail {
namespace {

// The problem parsing text gives, or "" when it parses.
std::string problem_of(const std::string& text, unsigned max_depth = 32) {
  std::string problem;
  const auto document = StrictJson::parse(text, max_depth, problem);
  EXPECT_EQ(document == nullptr, !problem.empty()) << text;
  return problem;
}

std::string nested(unsigned levels) {
  std::string text = "{\"a\": ";
  for (unsigned i = 1; i < levels; ++i) text += i % 2 == 0 ? "{\"b\": " : "[";
  text += "1";
  for (unsigned i = levels - 1; i >= 1; --i) text += i % 2 == 0 ? "}" : "]";
  return text + "}";
}

TEST(StrictJson, DepthLimitIsExact) {
  EXPECT_EQ(problem_of(nested(32)), "");
  EXPECT_EQ(problem_of(nested(33)), "nested deeper than 32 levels");
  EXPECT_EQ(problem_of(nested(3), 3), "");
  EXPECT_EQ(problem_of(nested(4), 3), "nested deeper than 3 levels");
  EXPECT_EQ(problem_of("{\"x\": " + std::string(5000, '[') + std::string(5000, ']') + "}"),
            "nested deeper than 32 levels");
}

TEST(StrictJson, RepeatedKeysAnywhereAreRefused) {
  EXPECT_EQ(problem_of(R"({"a": 1, "b": 2, "a": 3})"), "key \"a\" repeated in one object");
  // Inside an unknown member, and in an object of many keys (sorted, not compared pairwise).
  EXPECT_EQ(problem_of(R"({"future": [{"k": 1, "k": 1}]})"), "key \"k\" repeated in one object");
  std::string many = "{";
  for (int i = 0; i < 40; ++i) many += "\"k" + std::to_string(i) + "\": 0, ";
  EXPECT_EQ(problem_of(many + "\"k7\": 1}"), "key \"k7\" repeated in one object");
  EXPECT_EQ(problem_of(many + "\"k40\": 1}"), "");
  // The same key in two objects is fine.
  EXPECT_EQ(problem_of(R"({"a": {"k": 1}, "b": {"k": 1}})"), "");
}

TEST(StrictJson, InvalidTextIsNamed) {
  EXPECT_NE(problem_of("{\"format\": ").find("not valid JSON"), std::string::npos);
  EXPECT_NE(problem_of("{\"format\": \"\xff\"}").find("UTF-8"), std::string::npos);
  EXPECT_NE(problem_of("{\"n\": 18446744073709551616}").find("not valid JSON"), std::string::npos);
  EXPECT_NE(problem_of("{} {}").find("not valid JSON"), std::string::npos);
  EXPECT_NE(problem_of("").find("not valid JSON"), std::string::npos);
}

TEST(StrictJson, ValuesMatchNlohmann) {
  const std::string text =
      R"({"u": 18446744073709551615, "i": 7, "neg": -3, "f": 2.0, "e": 1e2, "d": 0.1,)"
      R"( "s": "caf\u00e9 \"q\"", "t": true, "n": null, "a": [1, [2, {"x": -0.0}]]})";
  std::string problem;
  const auto document = StrictJson::parse(text, 32, problem);
  ASSERT_NE(document, nullptr) << problem;
  const JsonView root = document->root();
  EXPECT_EQ(root.to_nlohmann(), nlohmann::json::parse(text));
  EXPECT_TRUE(root.find("u")->is_unsigned());
  EXPECT_EQ(root.find("u")->as_unsigned(), 18446744073709551615u);
  EXPECT_TRUE(root.find("i")->is_unsigned());
  EXPECT_EQ(root.find("i")->as_unsigned(), 7u);
  // Integers are written without fraction or exponent (FORMAT.md 4): these are not.
  EXPECT_FALSE(root.find("neg")->is_unsigned());
  EXPECT_FALSE(root.find("f")->is_unsigned());
  EXPECT_FALSE(root.find("e")->is_unsigned());
  EXPECT_TRUE(root.find("f")->is_number());
  EXPECT_EQ(root.find("d")->as_double(), 0.1);
  EXPECT_EQ(root.find("s")->as_string(), "caf\xc3\xa9 \"q\"");
  EXPECT_FALSE(root.find("missing").has_value());
  EXPECT_FALSE(root.find("i")->find("x").has_value());  // not an object: nothing
  EXPECT_EQ(root.find("a")->items().size(), 2u);
  EXPECT_EQ(root.members().size(), 10u);
  EXPECT_EQ(root.find("neg")->shown(), "number -3");
  EXPECT_EQ(root.find("a")->shown(), "array [1,[2,{\"x\":-0.0}]]");
  EXPECT_EQ(root.find("n")->shown(), "null null");
  const std::string long_text = "{\"s\": \"" + std::string(100, 'z') + "\"}";
  const auto long_document = StrictJson::parse(long_text, 32, problem);
  ASSERT_NE(long_document, nullptr);
  EXPECT_EQ(long_document->root().find("s")->shown(), "string \"" + std::string(36, 'z') + "...");
}

}  // namespace
}  // namespace medmask::detail
