// detail/strict_json.hpp (internal): parses JSON from files, refusing what a hostile file could
// abuse: nesting deeper than a limit (stack, memory), an object that repeats a key (two readers
// could pick different values), text that is not UTF-8, a number out of range. Values are read
// through JsonView, a view into the parsed document.
//
// simdjson parses into a flat tape without an allocation per value: the index of the sample
// case (23 KB, 117 structures) took 1.1 ms as an nlohmann DOM and takes about 40 us here, and
// opening an archive is mostly this parse.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace medmask::detail {

// One value of a parsed document; valid while its StrictJson lives.
class JsonView {
 public:
  JsonView() = default;  // a null value, until assigned
  explicit JsonView(simdjson::dom::element element) : element_(element) {}

  bool is_object() const { return type() == Type::OBJECT; }
  bool is_array() const { return type() == Type::ARRAY; }
  bool is_string() const { return type() == Type::STRING; }
  bool is_boolean() const { return type() == Type::BOOL; }
  bool is_number() const {
    return type() == Type::INT64 || type() == Type::UINT64 || type() == Type::DOUBLE;
  }
  // An integer (no fraction, no exponent) >= 0.
  bool is_unsigned() const;

  // Each requires the matching is_...().
  std::uint64_t as_unsigned() const;
  double as_double() const { return element_.get_double().value_unsafe(); }
  std::string_view as_string() const { return element_.get_string().value_unsafe(); }
  bool as_bool() const { return element_.get_bool().value_unsafe(); }

  // An object's member, or nothing (also for a value that is not an object).
  std::optional<JsonView> find(std::string_view key) const;
  // An object's members in document order. Requires is_object().
  std::vector<std::pair<std::string_view, JsonView>> members() const;
  // An array's items (indexing a simdjson array walks it, so loops take them all at once).
  // Requires is_array().
  std::vector<JsonView> items() const;
  // The first out.size() items into out, without allocating; returns the number of items.
  // Requires is_array().
  std::size_t items_into(std::span<JsonView> out) const;

  // The JSON type and up to 40 characters of the value, for messages: `number -3`.
  std::string shown() const;
  // The same value as nlohmann JSON (numbers exact), for readers shared with other JSON sources.
  nlohmann::json to_nlohmann() const;

 private:
  using Type = simdjson::dom::element_type;
  Type type() const { return element_.type(); }
  simdjson::dom::element element_;
};

// A parsed document: its parser owns the values the views point into.
class StrictJson {
 public:
  // Parses text. Returns the document, or sets problem to what is wrong ("not valid JSON: ...",
  // "nested deeper than N levels", "key \"k\" repeated in one object").
  static std::unique_ptr<StrictJson> parse(std::string_view text, unsigned max_depth,
                                           std::string& problem);
  JsonView root() const { return JsonView(root_); }

 private:
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

}  // namespace medmask::detail
