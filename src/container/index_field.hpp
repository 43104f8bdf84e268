// container/index_field.hpp (internal): the name of an index field, such as
// entries[3].labels[7].color[1], spelled out only when a check of it fails. Building that text
// for every value read took a third of opening an archive.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace medmask::container {

// A field is its parent's member `key`, optionally followed by `[index]` or by `["quoted"]`.
// It points at its parent: keep a Field only while the parent lives (a local naming a temporary
// parent would dangle).
class Field {
 public:
  // A top-level key ("format"), or a top-level array's item ("entries", 3).
  Field(const char* key) : key_(key) {}  // NOLINT(google-explicit-constructor): "format" reads best
  Field(const char* key, std::size_t index) : key_(key), index_(index), indexed_(true) {}
  // parent.key, or parent.key[index], or parent[index] (key null).
  Field(const Field& parent, const char* key) : parent_(&parent), key_(key) {}
  Field(const Field& parent, const char* key, std::size_t index)
      : parent_(&parent), key_(key), index_(index), indexed_(true) {}
  Field(const Field& parent, std::size_t index) : parent_(&parent), index_(index), indexed_(true) {}
  // parent.key["quoted"]: an object's member whose key is data (an entry's stats).
  static Field quoted(const Field& parent, const char* key, std::string_view quoted) {
    Field field(parent, key);
    field.quoted_ = quoted;
    return field;
  }

  std::string text() const {
    std::string out = parent_ != nullptr ? parent_->text() : std::string();
    if (key_ != nullptr) {
      if (parent_ != nullptr) out += '.';
      out += key_;
    }
    if (indexed_) out += "[" + std::to_string(index_) + "]";
    if (quoted_.data() != nullptr) out += "[\"" + std::string(quoted_) + "\"]";
    return out;
  }

 private:
  const Field* parent_ = nullptr;
  const char* key_ = nullptr;
  std::size_t index_ = 0;
  bool indexed_ = false;
  std::string_view quoted_;
};

}  // namespace medmask::container
