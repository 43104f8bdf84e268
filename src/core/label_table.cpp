#include "medmask/label_table.hpp"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "detail/did_you_mean.hpp"
#include "medmask/error.hpp"

namespace medmask {

namespace {

std::string hex_code(char byte) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  const auto c = static_cast<unsigned char>(byte);
  return std::string("00") + kDigits[c >> 4] + kDigits[c & 15];
}

}  // namespace

std::string printable_name(std::string_view name) {
  std::string out;
  const bool utf8 = is_valid_utf8(name);
  for (const char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F) {
      out += "\\x";
      out += hex_code(c).substr(2);
    } else if (u >= 0x80 && !utf8) {
      out += "\\x";
      out += hex_code(c).substr(2);
    } else {
      out += c;
    }
  }
  if (out.size() > 200) out = out.substr(0, 197) + "...";
  return out;
}

bool is_valid_utf8(std::string_view bytes) noexcept {
  std::size_t i = 0;
  const std::size_t n = bytes.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    std::size_t extra = 0;
    std::uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      extra = 1;
      code = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
      code = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      extra = 3;
      code = c & 0x07u;
    } else {
      return false;
    }
    if (i + extra >= n) return false;  // sequence cut off by the end
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(bytes[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      code = (code << 6) | (cc & 0x3Fu);
    }
    // Reject overlong forms, surrogates and code points beyond U+10FFFF.
    static constexpr std::uint32_t kMinForLength[4] = {0, 0x80, 0x800, 0x10000};
    if (code < kMinForLength[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) {
      return false;
    }
    i += extra + 1;
  }
  return true;
}

std::optional<std::string> name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (!is_valid_utf8(name)) return "is not valid UTF-8";
  for (std::size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<unsigned char>(name[i]);
    // C0 controls (NUL, newline, escape...), DEL, and C1 controls (U+0080..U+009F, C2 80..9F).
    const bool c1 = c == 0xC2 && i + 1 < name.size() &&
                    static_cast<unsigned char>(name[i + 1]) >= 0x80 &&
                    static_cast<unsigned char>(name[i + 1]) <= 0x9F;
    if (c < 0x20 || c == 0x7F || c1) {
      return "holds the control character U+" + hex_code(c1 ? name[i + 1] : name[i]) + " at byte " +
             std::to_string(i);
    }
  }
  return std::nullopt;
}

void LabelTable::add(Label label) {
  if (const auto problem = name_problem(label.name)) {
    throw ArgumentError("label name '" + printable_name(label.name) + "' " + *problem);
  }
  if (label.value == 0) {
    throw ArgumentError("label '" + label.name + "': value 0 is reserved for background");
  }
  if (const Label* other = find(label.name)) {
    throw ArgumentError("label name '" + label.name + "' is already used (value " +
                        std::to_string(other->value) + ")");
  }
  if (const Label* other = find_value(label.value)) {
    throw ArgumentError("label value " + std::to_string(label.value) + " of '" + label.name +
                        "' is already used by '" + other->name + "'");
  }
  labels_.push_back(std::move(label));
  if (labels_.size() == kIndexedFrom) {
    reindex_from(0);
  } else if (indexed()) {
    by_name_.emplace(labels_.back().name, labels_.size() - 1);
    by_value_.emplace(labels_.back().value, labels_.size() - 1);
  }
}

void LabelTable::reindex_from(std::size_t position) {
  for (std::size_t i = position; i < labels_.size(); ++i) {
    by_name_[labels_[i].name] = i;
    by_value_[labels_[i].value] = i;
  }
}

bool LabelTable::remove(std::string_view name) noexcept {
  const Label* label = find(name);
  if (label == nullptr) return false;
  const auto position = static_cast<std::size_t>(label - labels_.data());
  if (indexed()) {
    by_value_.erase(label->value);
    by_name_.erase(by_name_.find(name));
  }
  labels_.erase(labels_.begin() + static_cast<std::ptrdiff_t>(position));
  if (indexed()) {
    reindex_from(position);
  } else {
    by_name_.clear();
    by_value_.clear();
  }
  return true;
}

const Label* LabelTable::find(std::string_view name) const noexcept {
  if (!indexed()) {
    for (const Label& label : labels_) {
      if (label.name == name) return &label;
    }
    return nullptr;
  }
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &labels_[it->second];
}

const Label* LabelTable::find_value(std::uint32_t value) const noexcept {
  if (!indexed()) {
    for (const Label& label : labels_) {
      if (label.value == value) return &label;
    }
    return nullptr;
  }
  const auto it = by_value_.find(value);
  return it == by_value_.end() ? nullptr : &labels_[it->second];
}

const Label& LabelTable::at(std::string_view name) const {
  if (const Label* label = find(name)) return *label;
  std::string known;
  std::vector<std::string> names;
  for (const Label& label : labels_) names.push_back(label.name);
  const std::size_t shown = std::min<std::size_t>(labels_.size(), 5);
  for (std::size_t i = 0; i < shown; ++i) known += (i ? ", " : "") + labels_[i].name;
  if (labels_.size() > shown) known += ", ...";
  throw NotFoundError("unknown structure '" + std::string(name) + "'" +
                      detail::did_you_mean(names, std::string(name)) +
                      (known.empty() ? std::string(" (the table is empty)") : "; known: " + known));
}

std::uint32_t LabelTable::max_value() const noexcept {
  std::uint32_t result = 0;
  for (const Label& label : labels_) result = std::max(result, label.value);
  return result;
}

}  // namespace medmask
