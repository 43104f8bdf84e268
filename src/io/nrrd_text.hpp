// nrrd_text.hpp (internal): the text header of NRRD files ("Definition of NRRD File Format").
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "medmask/space.hpp"

namespace medmask::io {

struct NrrdHeader {
  std::map<std::string, std::string> fields;      // "field: value", field names lower-cased
  std::map<std::string, std::string> key_values;  // "key:=value", keys as written
  std::span<const std::uint8_t> data;             // bytes after the blank line

  std::optional<std::string> field(const std::string& name) const;
  std::optional<std::string> key(const std::string& name) const;
  // Throws FormatError naming the missing field.
  const std::string& required(const std::string& name, const std::string& path) const;
};

// Parses the magic line (NRRD0001..NRRD0005) and the header up to the first blank line.
// Throws FormatError (bad magic, a line that is neither field, key nor comment, no blank line).
NrrdHeader parse_nrrd_header(std::span<const std::uint8_t> bytes, const std::string& path);

std::vector<std::uint64_t> parse_sizes(const std::string& text, const std::string& path);
std::size_t parse_count(const std::string& text, const std::string& path);
// "(a,b,c) none (d,e,f)": nullopt for "none". Throws FormatError.
std::vector<std::optional<Vec3>> parse_vectors(const std::string& text, const std::string& path);
// A "key:=value" value escaped as NRRD0005 says (backslash, newline), so that no value can end
// its line and start a field of its own.
std::string escape_value(const std::string& text);
// "(a,b,c)" with round-trip precision.
std::string format_vector(const Vec3& v);

// The SegmentN_Tags MedMask writes for a group of a .seg.nrrd: its members as JSON
// ("MedMask.GroupMembers:[\"a\",\"b\"]|"), and its parsing (nullopt: no such tag or not
// parseable).
std::string seg_nrrd_members_tag(const std::vector<std::string>& members);
std::optional<std::vector<std::string>> seg_nrrd_group_members(const std::string& tags);

}  // namespace medmask::io
