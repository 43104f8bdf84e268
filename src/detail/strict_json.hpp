// detail/strict_json.hpp (internal): parses JSON from files into nlohmann::json, refusing what a
// hostile file could abuse: nesting deeper than a limit (stack, memory) and an object that
// repeats a key (two readers could pick different values). Linear in the text: nlohmann's own
// callback parser rescans the enclosing array at every object end, which is quadratic in the
// length of an array of objects (an 80,000-label index took seconds).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace medmask::detail {

// Parses text. Returns the document, or sets problem to what is wrong (nlohmann's message for
// invalid JSON, "nested deeper than N levels", "key \"k\" repeated in one object").
inline std::optional<nlohmann::json> parse_strict_json(std::string_view text, unsigned max_depth,
                                                       std::string& problem) {
  using Json = nlohmann::json;
  class Sax : public nlohmann::detail::json_sax_dom_parser<Json> {
   public:
    Sax(Json& document, unsigned depth_limit, std::string& problem_out)
        : json_sax_dom_parser(document, true), max_depth_(depth_limit), problem_(problem_out) {}
    bool start_object(std::size_t size) {
      keys_.emplace_back();
      return deeper() && json_sax_dom_parser::start_object(size);
    }
    bool end_object() {
      keys_.pop_back();
      --depth_;
      return json_sax_dom_parser::end_object();
    }
    bool start_array(std::size_t size) {
      return deeper() && json_sax_dom_parser::start_array(size);
    }
    bool end_array() {
      --depth_;
      return json_sax_dom_parser::end_array();
    }
    bool key(std::string& name) {
      if (!keys_.back().insert(name).second) {
        problem_ = "key \"" + name.substr(0, 40) + "\" repeated in one object";
        return false;
      }
      return json_sax_dom_parser::key(name);
    }
    bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& error) {
      problem_ = std::string("not valid JSON: ") + error.what();
      return false;
    }

   private:
    bool deeper() {
      if (++depth_ <= max_depth_) return true;
      problem_ = "nested deeper than " + std::to_string(max_depth_) + " levels";
      return false;
    }
    unsigned max_depth_;
    unsigned depth_ = 0;
    std::string& problem_;
    std::vector<std::unordered_set<std::string>> keys_;
  };
  Json root;
  Sax sax(root, max_depth, problem);
  bool ok = false;
  try {
    ok = Json::sax_parse(text, &sax);
  } catch (const Json::exception& error) {
    problem = std::string("not valid JSON: ") + error.what();
    return std::nullopt;
  }
  if (!ok) {
    if (problem.empty()) problem = "not valid JSON";
    return std::nullopt;
  }
  return root;
}

}  // namespace medmask::detail
