// medmask/label_table.hpp: what each label value means.
//
// A LabelTable maps unique, non-empty UTF-8 names to label values 1 .. 2^32-1 (0 is background),
// each with an optional display colour, free-text description and coded concept (for example
// SNOMED CT: scheme "SCT", code "78961009", meaning "Spleen").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace medmask {

struct Rgb {
  std::uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

struct CodedConcept {
  std::string scheme;   // coding scheme designator, e.g. "SCT"
  std::string code;     // code value, e.g. "78961009"
  std::string meaning;  // code meaning, e.g. "Spleen"
  bool operator==(const CodedConcept&) const = default;
};

struct Label {
  std::string name;
  std::uint32_t value = 0;
  std::optional<Rgb> color;
  std::string description;
  std::optional<CodedConcept> concept_code;
  bool operator==(const Label&) const = default;
};

class LabelTable {
 public:
  LabelTable() = default;

  // Adds a label. Throws ArgumentError if the name is not valid (name_problem) or already used,
  // or if the value is 0 or already used.
  void add(Label label);
  void add(std::string name, std::uint32_t value) {
    add(Label{std::move(name), value, {}, {}, {}});
  }

  // Removes the label named name (O(size)); false when there is none.
  bool remove(std::string_view name) noexcept;

  // nullptr when absent.
  const Label* find(std::string_view name) const noexcept;
  const Label* find_value(std::uint32_t value) const noexcept;
  // Throws NotFoundError naming the unknown name (and listing a few known ones).
  const Label& at(std::string_view name) const;

  bool empty() const noexcept { return labels_.empty(); }
  std::size_t size() const noexcept { return labels_.size(); }
  std::uint32_t max_value() const noexcept;
  const std::vector<Label>& labels() const noexcept { return labels_; }
  auto begin() const noexcept { return labels_.begin(); }
  auto end() const noexcept { return labels_.end(); }
  bool operator==(const LabelTable& other) const noexcept { return labels_ == other.labels_; }

 private:
  // A small table (most: an archive opened holds a table per entry, often of one label) is
  // searched in order; from kIndexedFrom labels on, the maps below index it.
  static constexpr std::size_t kIndexedFrom = 16;
  bool indexed() const noexcept { return labels_.size() >= kIndexedFrom; }
  void reindex_from(std::size_t position);

  std::vector<Label> labels_;  // in insertion order
  // Positions in labels_, so that lookups and adds cost O(1): tables of a million labels.
  struct NameHash {
    using is_transparent = void;  // find(string_view) without a temporary string
    std::size_t operator()(std::string_view name) const noexcept {
      return std::hash<std::string_view>{}(name);
    }
  };
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> by_name_;
  std::unordered_map<std::uint32_t, std::size_t> by_value_;
};

// True when bytes are well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view bytes) noexcept;

// Names are data, never markup or paths: a valid name is non-empty UTF-8 without control
// characters (U+0000..U+001F, U+007F..U+009F: no NUL, newline, tab or terminal escape). Returns
// what is wrong ("is empty", "holds the control character U+000A at byte 5"), or nullopt.
// Length is a limit of the archive (ReadLimits::max_name_bytes), not of the table.
std::optional<std::string> name_problem(std::string_view name);

// The name for messages and listings: control bytes (and every byte >= 0x80 when the name is not
// valid UTF-8) shown as \xHH, cut to 200 bytes.
std::string printable_name(std::string_view name);

}  // namespace medmask
