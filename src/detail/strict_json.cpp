// Strict JSON on simdjson's DOM (see strict_json.hpp).
#include "detail/strict_json.hpp"

#include <algorithm>
#include <array>
#include <optional>

namespace medmask::detail {

namespace {

// simdjson keeps a stack of this many levels. Our own walk applies the exact limit; simdjson's
// counts a level more for some documents, and a limit above this is clamped to it.
constexpr unsigned kMostLevels = 1024;

// Checks depth and repeated keys over the whole document, known keys or not. Recursion is
// bounded by simdjson's depth limit.
bool check_value(simdjson::dom::element value, unsigned depth, unsigned max_depth,
                 std::string& problem) {
  using Type = simdjson::dom::element_type;
  const Type type = value.type();
  if (type != Type::OBJECT && type != Type::ARRAY) return true;
  if (depth + 1 > max_depth) {
    problem = "nested deeper than " + std::to_string(max_depth) + " levels";
    return false;
  }
  if (type == Type::ARRAY) {
    const simdjson::dom::array items = value.get_array().value_unsafe();
    for (const simdjson::dom::element item : items) {
      if (!check_value(item, depth + 1, max_depth, problem)) return false;
    }
    return true;
  }
  const simdjson::dom::object object = value.get_object().value_unsafe();
  // Index objects have a handful of keys: comparing each pair (kept on the stack) is cheaper
  // than sorting them; a larger object's keys are sorted.
  constexpr std::size_t kFew = 16;
  std::array<std::string_view, kFew> few;
  std::size_t count = 0;
  std::vector<std::string_view> keys;
  for (const simdjson::dom::key_value_pair member : object) {
    if (count < kFew) few[count] = member.key;
    ++count;
    if (!check_value(member.value, depth + 1, max_depth, problem)) return false;
  }
  std::optional<std::string_view> repeated;
  if (count <= kFew) {
    for (std::size_t i = 0; i < count && !repeated; ++i) {
      for (std::size_t j = i + 1; j < count; ++j) {
        if (few[i] == few[j]) repeated = few[i];
      }
    }
  } else {
    keys.reserve(count);
    for (const simdjson::dom::key_value_pair member : object) keys.push_back(member.key);
    std::sort(keys.begin(), keys.end());
    const auto found = std::adjacent_find(keys.begin(), keys.end());
    if (found != keys.end()) repeated = *found;
  }
  if (repeated) {
    problem = "key \"" + std::string(repeated->substr(0, 40)) + "\" repeated in one object";
    return false;
  }
  return true;
}

}  // namespace

bool JsonView::is_unsigned() const {
  if (type() == Type::UINT64) return true;
  return type() == Type::INT64 && element_.get_int64().value_unsafe() >= 0;
}

std::uint64_t JsonView::as_unsigned() const {
  if (type() == Type::UINT64) return element_.get_uint64().value_unsafe();
  return static_cast<std::uint64_t>(element_.get_int64().value_unsafe());
}

std::optional<JsonView> JsonView::find(std::string_view key) const {
  if (!is_object()) return std::nullopt;
  const simdjson::dom::object object = element_.get_object().value_unsafe();
  simdjson::dom::element found;
  if (object.at_key(key).get(found) != simdjson::SUCCESS) return std::nullopt;
  return JsonView(found);
}

std::vector<std::pair<std::string_view, JsonView>> JsonView::members() const {
  const simdjson::dom::object object = element_.get_object().value_unsafe();
  std::vector<std::pair<std::string_view, JsonView>> out;
  out.reserve(object.size());
  for (const simdjson::dom::key_value_pair member : object) {
    out.emplace_back(member.key, JsonView(member.value));
  }
  return out;
}

std::vector<JsonView> JsonView::items() const {
  const simdjson::dom::array array = element_.get_array().value_unsafe();
  std::vector<JsonView> out;
  out.reserve(array.size());
  for (const simdjson::dom::element item : array) out.emplace_back(item);
  return out;
}

std::size_t JsonView::items_into(std::span<JsonView> out) const {
  const simdjson::dom::array array = element_.get_array().value_unsafe();
  std::size_t count = 0;
  for (const simdjson::dom::element item : array) {
    if (count < out.size()) out[count] = JsonView(item);
    ++count;
  }
  return count;
}

std::string JsonView::shown() const {
  const char* name = "null";
  switch (type()) {
    case Type::OBJECT:
      name = "object";
      break;
    case Type::ARRAY:
      name = "array";
      break;
    case Type::STRING:
      name = "string";
      break;
    case Type::INT64:
    case Type::UINT64:
    case Type::DOUBLE:
      name = "number";
      break;
    case Type::BOOL:
      name = "boolean";
      break;
    case Type::NULL_VALUE:
      break;
  }
  std::string text = simdjson::to_string(element_);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(name) + " " + text;
}

nlohmann::json JsonView::to_nlohmann() const {
  switch (type()) {
    case Type::OBJECT: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [key, value] : members()) out[std::string(key)] = value.to_nlohmann();
      return out;
    }
    case Type::ARRAY: {
      nlohmann::json out = nlohmann::json::array();
      for (const JsonView& item : items()) out.push_back(item.to_nlohmann());
      return out;
    }
    case Type::STRING:
      return std::string(as_string());
    case Type::INT64:
      return is_unsigned() ? nlohmann::json(as_unsigned())
                           : nlohmann::json(element_.get_int64().value_unsafe());
    case Type::UINT64:
      return as_unsigned();
    case Type::DOUBLE:
      return as_double();
    case Type::BOOL:
      return as_bool();
    case Type::NULL_VALUE:
      break;
  }
  return nullptr;
}

std::unique_ptr<StrictJson> StrictJson::parse(std::string_view text, unsigned max_depth,
                                              std::string& problem) {
  auto document = std::make_unique<StrictJson>();
  const unsigned levels = std::min(max_depth, kMostLevels);
  if (document->parser_.allocate(std::max<std::size_t>(text.size(), 1), levels + 2) !=
      simdjson::SUCCESS) {
    problem =
        "not valid JSON: no memory for a document of " + std::to_string(text.size()) + " bytes";
    return nullptr;
  }
  const simdjson::error_code error =
      document->parser_.parse(text.data(), text.size()).get(document->root_);
  if (error == simdjson::DEPTH_ERROR) {
    problem = "nested deeper than " + std::to_string(levels) + " levels";
    return nullptr;
  }
  if (error != simdjson::SUCCESS) {
    problem = std::string("not valid JSON: ") + simdjson::error_message(error);
    return nullptr;
  }
  if (!check_value(document->root_, 0, levels, problem)) return nullptr;
  return document;
}

}  // namespace medmask::detail
