#include "medmask/label_table.hpp"

#include <algorithm>

#include "medmask/error.hpp"

namespace medmask {

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

void LabelTable::add(Label label) {
  if (label.name.empty()) throw ArgumentError("label name is empty");
  if (!is_valid_utf8(label.name)) throw ArgumentError("label name is not valid UTF-8");
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
}

bool LabelTable::remove(std::string_view name) noexcept {
  const auto it = std::find_if(labels_.begin(), labels_.end(),
                               [&](const Label& label) { return label.name == name; });
  if (it == labels_.end()) return false;
  labels_.erase(it);
  return true;
}

const Label* LabelTable::find(std::string_view name) const noexcept {
  for (const Label& label : labels_) {
    if (label.name == name) return &label;
  }
  return nullptr;
}

const Label* LabelTable::find_value(std::uint32_t value) const noexcept {
  for (const Label& label : labels_) {
    if (label.value == value) return &label;
  }
  return nullptr;
}

const Label& LabelTable::at(std::string_view name) const {
  if (const Label* label = find(name)) return *label;
  std::string known;
  const std::size_t shown = std::min<std::size_t>(labels_.size(), 5);
  for (std::size_t i = 0; i < shown; ++i) known += (i ? ", " : "") + labels_[i].name;
  if (labels_.size() > shown) known += ", ...";
  throw NotFoundError("unknown structure '" + std::string(name) + "'" +
                      (known.empty() ? std::string(" (the table is empty)") : "; known: " + known));
}

std::uint32_t LabelTable::max_value() const noexcept {
  std::uint32_t result = 0;
  for (const Label& label : labels_) result = std::max(result, label.value);
  return result;
}

}  // namespace medmask
