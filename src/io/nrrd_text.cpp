#include "io/nrrd_text.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

#include "medmask/error.hpp"

namespace medmask::io {

namespace {

constexpr std::size_t kMaxHeaderBytes = 1 << 24;  // 16 MiB of header text is already absurd

std::string trim(std::string text) {
  const auto not_space = [](unsigned char c) { return !std::isspace(c); };
  text.erase(text.begin(), std::find_if(text.begin(), text.end(), not_space));
  text.erase(std::find_if(text.rbegin(), text.rend(), not_space).base(), text.end());
  return text;
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// NRRD0005 key/value escapes: backslash-n is a newline, two backslashes one backslash.
std::string unescape_value(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 1 < text.size() && (text[i + 1] == 'n' || text[i + 1] == '\\')) {
      out += text[i + 1] == 'n' ? '\n' : '\\';
      ++i;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::string escape_value(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += ' ';  // no escape exists; a raw CR would end the line for some readers
    } else {
      out += c;
    }
  }
  return out;
}

std::optional<std::string> NrrdHeader::field(const std::string& name) const {
  const auto it = fields.find(name);
  return it == fields.end() ? std::nullopt : std::optional<std::string>(it->second);
}

std::optional<std::string> NrrdHeader::key(const std::string& name) const {
  const auto it = key_values.find(name);
  return it == key_values.end() ? std::nullopt : std::optional<std::string>(it->second);
}

const std::string& NrrdHeader::required(const std::string& name, const std::string& path) const {
  const auto it = fields.find(name);
  if (it == fields.end())
    throw FormatError(path + ": NRRD header lacks the '" + name + "' field", path);
  return it->second;
}

NrrdHeader parse_nrrd_header(std::span<const std::uint8_t> bytes, const std::string& path) {
  const std::size_t limit = std::min(bytes.size(), kMaxHeaderBytes);
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), limit);
  if (text.size() < 8 || text.substr(0, 4) != "NRRD" || text[4] != '0' || text[5] != '0' ||
      text[6] != '0' || text[7] < '1' || text[7] > '5') {
    throw FormatError(path + ": not a NRRD file (magic NRRD0001..NRRD0005 expected)", path, 0);
  }
  NrrdHeader header;
  std::size_t at = text.find('\n');
  if (at == std::string_view::npos)
    throw FormatError(path + ": NRRD header ends after the magic", path);
  ++at;
  std::size_t line_number = 1;
  while (true) {
    const std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) {
      // A detached header may end without the blank line.
      if (at < text.size())
        throw FormatError(path + ": NRRD header has no blank line before the data", path);
      header.data = {};
      return header;
    }
    ++line_number;
    std::string line(text.substr(at, end - at));
    at = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if (line[0] == '#') continue;
    if (const auto kv = line.find(":="); kv != std::string::npos) {
      header.key_values[line.substr(0, kv)] = unescape_value(line.substr(kv + 2));
    } else if (const auto colon = line.find(": "); colon != std::string::npos) {
      header.fields[lower(trim(line.substr(0, colon)))] = trim(line.substr(colon + 2));
    } else {
      throw FormatError(path + ": NRRD header line " + std::to_string(line_number) + " '" + line +
                            "' is neither 'field: value' nor 'key:=value'",
                        path, at);
    }
  }
  header.data = bytes.subspan(at);
  return header;
}

std::vector<std::uint64_t> parse_sizes(const std::string& text, const std::string& path) {
  std::vector<std::uint64_t> sizes;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  while (p < end) {
    while (p < end && std::isspace(static_cast<unsigned char>(*p))) ++p;
    if (p >= end) break;
    std::uint64_t value = 0;
    const auto [next, error] = std::from_chars(p, end, value);
    if (error != std::errc() || value == 0 || value > (1u << 30)) {
      throw FormatError(path + ": NRRD 'sizes' field '" + text + "' is not a list of extents",
                        path);
    }
    sizes.push_back(value);
    p = next;
  }
  return sizes;
}

std::size_t parse_count(const std::string& text, const std::string& path) {
  std::size_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    throw FormatError(path + ": NRRD field value '" + text + "' is not a whole number", path);
  }
  return value;
}

std::vector<std::optional<Vec3>> parse_vectors(const std::string& text, const std::string& path) {
  std::vector<std::optional<Vec3>> vectors;
  std::size_t at = 0;
  while (at < text.size()) {
    while (at < text.size() && std::isspace(static_cast<unsigned char>(text[at]))) ++at;
    if (at >= text.size()) break;
    if (text.compare(at, 4, "none") == 0) {
      vectors.emplace_back(std::nullopt);
      at += 4;
      continue;
    }
    const std::size_t close = text.find(')', at);
    if (text[at] != '(' || close == std::string::npos) {
      throw FormatError(path + ": NRRD vector list '" + text + "' is malformed", path);
    }
    Vec3 v{};
    std::size_t component = 0;
    const char* p = text.data() + at + 1;
    const char* end = text.data() + close;
    while (p < end && component < 3) {
      while (p < end && (std::isspace(static_cast<unsigned char>(*p)) || *p == ',')) ++p;
      const auto [next, error] = std::from_chars(p, end, v[component]);
      if (error != std::errc() || !std::isfinite(v[component])) break;
      ++component;
      p = next;
    }
    while (p < end && std::isspace(static_cast<unsigned char>(*p))) ++p;
    if (component != 3 || p != end) {
      throw FormatError(
          path + ": NRRD vector '" + text.substr(at, close - at + 1) + "' does not hold 3 numbers",
          path);
    }
    vectors.emplace_back(v);
    at = close + 1;
  }
  return vectors;
}

std::string format_vector(const Vec3& v) {
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, "(%.17g,%.17g,%.17g)", v[0], v[1], v[2]);
  return buffer;
}

namespace {
constexpr std::string_view kMembersTag = "MedMask.GroupMembers:";
}  // namespace

std::string seg_nrrd_members_tag(const std::vector<std::string>& members) {
  return std::string(kMembersTag) + nlohmann::json(members).dump() + "|";
}

std::optional<std::vector<std::string>> seg_nrrd_group_members(const std::string& tags) {
  const std::size_t start = tags.find(kMembersTag);
  if (start == std::string::npos) return std::nullopt;
  const std::size_t begin = start + kMembersTag.size();
  std::size_t end = tags.find("]|", begin);
  end = end == std::string::npos ? tags.size() : end + 1;
  const nlohmann::json json =
      nlohmann::json::parse(tags.substr(begin, end - begin), nullptr, false);
  if (!json.is_array() || json.empty()) return std::nullopt;
  std::vector<std::string> members;
  for (const nlohmann::json& member : json) {
    if (!member.is_string()) return std::nullopt;
    members.push_back(member.get<std::string>());
  }
  return members;
}

}  // namespace medmask::io
