#include "container/index_json.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <unordered_map>
#include <unordered_set>

#include "container/error_message.hpp"
#include "container/format_constants.hpp"
#include "container/index_field.hpp"
#include "core/label_json.hpp"
#include "detail/checksum.hpp"
#include "detail/strict_json.hpp"
#include "geometry/space_json.hpp"
#include "medmask/error.hpp"

namespace medmask::container {

namespace {

using Json = detail::JsonView;
using OrderedJson = nlohmann::ordered_json;
// Names seen so far, as views of strings that outlive the set.
using NameSet = std::unordered_set<std::string_view>;

std::string dtype_text(DType dtype) { return std::string(dtype_name(dtype)); }

std::string kind_text(EntryKind kind) {
  return std::string(kind == EntryKind::kLayer ? kKindLayer : kKindMask);
}

OrderedJson stats_to_json(const LabelStats& stats) {
  return {{"voxels", stats.voxels},
          {"bbox_min_zyx", stats.bbox_min_zyx},
          {"bbox_max_zyx", stats.bbox_max_zyx}};
}

// Checks one JSON value against FORMAT.md 4; every failure names the field.
class Checker {
 public:
  Checker(const std::string& path, std::uint64_t offset, const ReadLimits& limits)
      : path_(path), offset_(offset), limits_(limits) {}

  [[noreturn]] void fail(const Field& field, const std::string& problem) const {
    fail_at(field.text(), problem);
  }
  [[noreturn]] void fail_at(const std::string& field, const std::string& problem) const {
    throw_at<FormatError>(path_, "index field " + field, offset_, problem);
  }
  [[noreturn]] void over_limit(const Field& field, const std::string& problem) const {
    throw_at<LimitError>(path_, "index field " + field.text(), offset_, problem);
  }

  const Json& object(const Json& value, const Field& field) const {
    if (!value.is_object()) fail(field, "expected an object, found " + value.shown());
    return value;
  }
  Json member(const Json& object_value, const char* key, const Field& field) const {
    object(object_value, field);
    const std::optional<Json> found = object_value.find(key);
    if (!found) fail(Field(field, key), "missing");
    return *found;
  }
  std::optional<Json> optional_member(const Json& object_value, const char* key) const {
    return object_value.find(key);
  }
  // The array's items.
  std::vector<Json> array(const Json& value, const Field& field,
                          std::size_t exact_size = std::numeric_limits<std::size_t>::max()) const {
    if (!value.is_array()) fail(field, "expected an array, found " + value.shown());
    std::vector<Json> items = value.items();
    if (exact_size != std::numeric_limits<std::size_t>::max() && items.size() != exact_size) {
      fail(field, "expected an array of " + std::to_string(exact_size) + " items, found " +
                      std::to_string(items.size()));
    }
    return items;
  }
  // The items of an array of exactly N, without allocating (bounding boxes, tile records).
  template <std::size_t N>
  std::array<Json, N> fixed(const Json& value, const Field& field) const {
    if (!value.is_array()) fail(field, "expected an array, found " + value.shown());
    std::array<Json, N> items;
    const std::size_t count = value.items_into(items);
    if (count != N) {
      fail(field,
           "expected an array of " + std::to_string(N) + " items, found " + std::to_string(count));
    }
    return items;
  }
  std::uint64_t integer(const Json& value, const Field& field, std::uint64_t min,
                        std::uint64_t max) const {
    // The range's text only on failure: this runs for every number of the index.
    const auto range = [min, max] { return std::to_string(min) + ".." + std::to_string(max); };
    if (!value.is_unsigned()) {
      fail(field, "expected an integer in " + range() + ", found " + value.shown());
    }
    const std::uint64_t number = value.as_unsigned();
    if (number < min || number > max) {
      fail(field, "out of range; expected " + range() + ", found " + std::to_string(number));
    }
    return number;
  }
  double finite(const Json& value, const Field& field) const {
    if (!value.is_number()) fail(field, "expected a number, found " + value.shown());
    const double number = value.as_double();
    if (!std::isfinite(number)) fail(field, "expected a finite number");
    return number;
  }
  // A string's text, valid UTF-8; it points into the parsed document.
  std::string_view text(const Json& value, const Field& field, bool allow_empty = true) const {
    if (!value.is_string()) fail(field, "expected a string, found " + value.shown());
    const std::string_view text = value.as_string();
    if (!allow_empty && text.empty()) fail(field, "expected a non-empty string");
    if (!is_valid_utf8(text)) fail(field, "not valid UTF-8");
    return text;
  }
  std::string string(const Json& value, const Field& field, bool allow_empty = true) const {
    return std::string(text(value, field, allow_empty));
  }
  // A structure, group or entry name: as name_problem() says, and within the length limit.
  std::string name(const Json& value, const Field& field) const {
    return std::string(name_text(value, field));
  }
  std::string_view name_text(const Json& value, const Field& field) const {
    const std::string_view text = this->text(value, field, false);
    if (text.size() > limits_.max_name_bytes) {
      over_limit(field, "name of " + std::to_string(text.size()) +
                            " bytes exceeds the read limit of " +
                            std::to_string(limits_.max_name_bytes));
    }
    if (const auto problem = name_problem(text)) {
      fail(field, "name \"" + printable_name(text) + "\" " + *problem);
    }
    return text;
  }

 private:
  const std::string& path_;
  std::uint64_t offset_;
  const ReadLimits& limits_;
};

std::uint64_t checked_voxel_count(const Shape3& shape_xyz, const std::string& path,
                                  std::uint64_t offset, const ReadLimits& limits) {
  std::uint64_t count = 1;
  for (const std::int64_t extent : shape_xyz) {
    const auto e = static_cast<std::uint64_t>(extent);  // >= 1, checked by the caller
    if (count > limits.max_voxels / e) {
      throw_at<LimitError>(path, "index field space.shape_xyz", offset,
                           "grid of " + std::to_string(shape_xyz[0]) + " x " +
                               std::to_string(shape_xyz[1]) + " x " + std::to_string(shape_xyz[2]) +
                               " voxels exceeds the read limit of " +
                               std::to_string(limits.max_voxels) + " voxels");
    }
    count *= e;
  }
  return count;
}

// The space object (a few hundred bytes) goes through the one reader of spaces.
Space parse_space(const Checker& check, const Json& value) {
  return detail::space_from_json(
      value.to_nlohmann(), detail::DirectionSpelling::kColumns,
      [&](const std::string& field, const std::string& problem) { check.fail_at(field, problem); });
}

DType parse_dtype(const Checker& check, const Json& value, const Field& field) {
  const std::string_view text = check.text(value, field);
  for (const DType dtype : {DType::kBool, DType::kUInt8, DType::kUInt16, DType::kUInt32}) {
    if (text == dtype_name(dtype)) return dtype;
  }
  check.fail(field, "unknown dtype; expected bool, uint8, uint16 or uint32, found \"" +
                        std::string(text) + "\"");
}

// max_value 0: a group, which has no value. An absent value is implied_value (since 1.2).
Label parse_label(const Checker& check, const Json& value, const Field& field,
                  std::uint32_t max_value, std::uint64_t implied_value = 0) {
  check.object(value, field);
  Label label;
  label.name = check.name(check.member(value, "name", field), Field(field, "name"));
  if (max_value > 0) {
    const std::optional<Json> stored = check.optional_member(value, "value");
    if (!stored && implied_value > max_value) {
      check.fail(Field(field, "value"), "missing, and the implied value " +
                                            std::to_string(implied_value) + " exceeds " +
                                            std::to_string(max_value));
    }
    label.value = static_cast<std::uint32_t>(
        stored ? check.integer(*stored, Field(field, "value"), 1, max_value) : implied_value);
  }
  if (const std::optional<Json> color = check.optional_member(value, "color")) {
    const std::array<Json, 3> channels = check.fixed<3>(*color, Field(field, "color"));
    std::array<std::uint8_t, 3> rgb{};
    for (std::size_t i = 0; i < 3; ++i) {
      rgb[i] =
          static_cast<std::uint8_t>(check.integer(channels[i], Field(field, "color", i), 0, 255));
    }
    label.color = Rgb{rgb[0], rgb[1], rgb[2]};
  }
  if (const std::optional<Json> description = check.optional_member(value, "description")) {
    label.description = check.string(*description, Field(field, "description"));
  }
  if (const std::optional<Json> concept_value = check.optional_member(value, "concept")) {
    const Field concept_field = Field(field, "concept");
    check.object(*concept_value, concept_field);
    CodedConcept coded;
    coded.scheme = check.string(check.member(*concept_value, "scheme", concept_field),
                                Field(concept_field, "scheme"));
    coded.code = check.string(check.member(*concept_value, "code", concept_field),
                              Field(concept_field, "code"));
    coded.meaning = check.string(check.member(*concept_value, "meaning", concept_field),
                                 Field(concept_field, "meaning"));
    label.concept_code = std::move(coded);
  }
  return label;
}

LabelStats parse_stats(const Checker& check, const Json& value, const Field& field,
                       const Shape3& shape_zyx) {
  check.object(value, field);
  LabelStats stats;
  std::uint64_t total = 1;
  for (const std::int64_t e : shape_zyx) total *= static_cast<std::uint64_t>(e);
  stats.voxels =
      check.integer(check.member(value, "voxels", field), Field(field, "voxels"), 1, total);
  const std::array<Json, 3> min =
      check.fixed<3>(check.member(value, "bbox_min_zyx", field), Field(field, "bbox_min_zyx"));
  const std::array<Json, 3> max =
      check.fixed<3>(check.member(value, "bbox_max_zyx", field), Field(field, "bbox_max_zyx"));
  std::uint64_t box = 1;
  for (std::size_t a = 0; a < 3; ++a) {
    const auto limit = static_cast<std::uint64_t>(shape_zyx[a] - 1);
    const std::uint64_t lo = check.integer(min[a], Field(field, "bbox_min_zyx", a), 0, limit);
    const std::uint64_t hi = check.integer(max[a], Field(field, "bbox_max_zyx", a), lo, limit);
    stats.bbox_min_zyx[a] = static_cast<std::int64_t>(lo);
    stats.bbox_max_zyx[a] = static_cast<std::int64_t>(hi);
    box *= hi - lo + 1;  // <= total, no overflow
  }
  if (stats.voxels > box) {
    check.fail(Field(field, "voxels"), "exceeds the bounding box; expected at most " +
                                           std::to_string(box) + ", found " +
                                           std::to_string(stats.voxels));
  }
  return stats;
}

std::uint64_t parse_xxh3(const Checker& check, const Json& value, const Field& field) {
  const std::string_view text = check.text(value, field);
  const auto parsed = detail::parse_hex64(text);
  if (!parsed) {
    check.fail(field, "expected 16 hexadecimal digits, found \"" + std::string(text) + "\"");
  }
  return *parsed;
}

// The end of a chunk or tile table: the units, contiguous, cover the section exactly
// (`covered` bytes); and the entry's informational level.
void finish_units(const Checker& check, const Json& value, const Field& field, const char* units,
                  std::uint64_t covered, EntryRecord& entry) {
  if (covered != entry.length) {
    check.fail(Field(field, units), std::string(units) + " cover " + std::to_string(covered) +
                                        " bytes; expected the section's length " +
                                        std::to_string(entry.length));
  }
  // Kept for display when it is a string, never needed to decode.
  if (const std::optional<Json> level = check.optional_member(value, "level");
      level && level->is_string()) {
    entry.level = check.string(*level, Field(field, "level"));
  }
}

// The keys of coding "medmask-cm1" (FORMAT.md 4.3.1): chunk_depth, chunks, level.
void parse_chunks(const Checker& check, const Json& value, const Field& field, std::int64_t nz,
                  EntryRecord& entry) {
  entry.chunk_depth = static_cast<std::uint32_t>(check.integer(
      check.member(value, "chunk_depth", field), Field(field, "chunk_depth"), 1, 0x7FFFFFFF));
  const auto depth = static_cast<std::uint64_t>(entry.chunk_depth);
  const std::uint64_t count = (static_cast<std::uint64_t>(nz) + depth - 1) / depth;
  const std::vector<Json> chunks =
      check.array(check.member(value, "chunks", field), Field(field, "chunks"),
                  static_cast<std::size_t>(count));
  std::uint64_t next = 0;  // chunks are contiguous and cover the section exactly
  for (std::size_t i = 0; i < chunks.size(); ++i) {
    const Field chunk_field = Field(field, "chunks", i);
    check.object(chunks[i], chunk_field);
    ChunkRecord chunk;
    chunk.offset = check.integer(check.member(chunks[i], "offset", chunk_field),
                                 Field(chunk_field, "offset"), next, next);
    chunk.length = check.integer(check.member(chunks[i], "length", chunk_field),
                                 Field(chunk_field, "length"), 1, entry.length - next);
    chunk.xxh3 =
        parse_xxh3(check, check.member(chunks[i], "xxh3", chunk_field), Field(chunk_field, "xxh3"));
    next += chunk.length;
    entry.chunks.push_back(chunk);
  }
  finish_units(check, value, field, "chunks", next, entry);
}

// The keys of coding "medmask-cm1-tiles" (FORMAT.md 4.3.2): chunk_depth, tile_yx, tiles, level.
// Tiles are contiguous in grid order; an empty tile is the integer 0 and takes no bytes.
void parse_tiles(const Checker& check, const Json& value, const Field& field,
                 const Shape3& shape_zyx, EntryRecord& entry) {
  entry.chunk_depth = static_cast<std::uint32_t>(check.integer(
      check.member(value, "chunk_depth", field), Field(field, "chunk_depth"), 1, 0x7FFFFFFF));
  const std::array<Json, 2> tile =
      check.fixed<2>(check.member(value, "tile_yx", field), Field(field, "tile_yx"));
  entry.tile_y = static_cast<std::uint32_t>(
      check.integer(tile[0], Field(field, "tile_yx", std::size_t{0}), 1, 0x7FFFFFFF));
  entry.tile_x = static_cast<std::uint32_t>(
      check.integer(tile[1], Field(field, "tile_yx", std::size_t{1}), 1, 0x7FFFFFFF));
  const auto per_axis = [](std::int64_t extent, std::uint32_t size) {
    return (static_cast<std::uint64_t>(extent) + size - 1) / size;
  };
  // Each factor is at most its extent, so the product is at most the voxel count (<= limit).
  const std::uint64_t count = per_axis(shape_zyx[0], entry.chunk_depth) *
                              per_axis(shape_zyx[1], entry.tile_y) *
                              per_axis(shape_zyx[2], entry.tile_x);
  const std::vector<Json> tiles = check.array(
      check.member(value, "tiles", field), Field(field, "tiles"), static_cast<std::size_t>(count));
  entry.chunks.reserve(tiles.size());
  std::uint64_t next = 0;  // the stored tiles are contiguous and cover the section exactly
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const Field tile_field = Field(field, "tiles", i);
    ChunkRecord record{next, 0, 0};
    if (!(tiles[i].is_unsigned() && tiles[i].as_unsigned() == 0)) {
      const std::array<Json, 2> item = check.fixed<2>(tiles[i], tile_field);
      record.length =
          check.integer(item[0], Field(tile_field, std::size_t{0}), 1, entry.length - next);
      record.xxh3 = parse_xxh3(check, item[1], Field(tile_field, std::size_t{1}));
    }
    next += record.length;
    entry.chunks.push_back(record);
  }
  finish_units(check, value, field, "tiles", next, entry);
}

EntryRecord parse_entry(const Checker& check, const Json& value, const Field& field,
                        std::uint64_t voxels, const Shape3& shape_zyx, std::uint64_t file_length) {
  check.object(value, field);
  EntryRecord entry;
  entry.name = check.name(check.member(value, "name", field), Field(field, "name"));
  const std::string_view kind =
      check.text(check.member(value, "kind", field), Field(field, "kind"));
  if (kind == kKindMask) {
    entry.kind = EntryKind::kMask;
  } else if (kind == kKindLayer) {
    entry.kind = EntryKind::kLayer;
  } else {
    check.fail(Field(field, "kind"),
               "expected \"mask\" or \"layer\", found \"" + std::string(kind) + "\"");
  }
  entry.dtype = parse_dtype(check, check.member(value, "dtype", field), Field(field, "dtype"));
  entry.coding = check.string(check.member(value, "coding", field), Field(field, "coding"), false);
  entry.offset =
      check.integer(check.member(value, "offset", field), Field(field, "offset"), 64, file_length);
  entry.length = check.integer(check.member(value, "length", field), Field(field, "length"), 1,
                               file_length - entry.offset);
  const std::uint64_t raw_length = voxels * dtype_size(entry.dtype);  // <= 2^36: no overflow
  entry.raw_length = check.integer(check.member(value, "raw_length", field),
                                   Field(field, "raw_length"), raw_length, raw_length);
  entry.xxh3 = parse_xxh3(check, check.member(value, "xxh3", field), Field(field, "xxh3"));
  if (entry.coding == kCodingMedmaskCm) parse_chunks(check, value, field, shape_zyx[0], entry);
  if (entry.coding == kCodingMedmaskTiles) parse_tiles(check, value, field, shape_zyx, entry);

  const std::uint32_t max_value = dtype_max_value(entry.dtype);
  const std::vector<Json> labels =
      check.array(check.member(value, "labels", field), Field(field, "labels"));
  for (std::size_t i = 0; i < labels.size(); ++i) {
    const Field label_field = Field(field, "labels", i);
    const std::uint64_t implied =
        entry.labels.empty() ? 1 : entry.labels.labels().back().value + 1ull;
    Label label = parse_label(check, labels[i], label_field, max_value, implied);
    try {
      entry.labels.add(std::move(label));
    } catch (const ArgumentError& error) {
      check.fail(label_field, error.what());
    }
  }
  const Json stats = check.object(check.member(value, "stats", field), Field(field, "stats"));
  for (const auto& [key, item] : stats.members()) {
    const Field stats_field = Field::quoted(field, "stats", key);
    // Canonical decimal: no sign, no leading zero, 1..dtype max.
    std::uint64_t number = 0;
    bool ok = !key.empty() && key.size() <= 10 && key[0] != '0';
    for (const char c : key) {
      if (c < '0' || c > '9') {
        ok = false;
        break;
      }
      number = number * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (!ok || number > max_value) {
      check.fail(stats_field,
                 "key must be a label value 1.." + std::to_string(max_value) + " in decimal");
    }
    entry.stats[static_cast<std::uint32_t>(number)] =
        parse_stats(check, item, stats_field, shape_zyx);
  }
  return entry;
}

// FORMAT.md 4.6: names unique among structures and groups, members known, no cycles.
std::vector<GroupRecord> parse_groups(const Checker& check, const Json& value,
                                      const NameSet& structures, const Shape3& shape_zyx,
                                      const ReadLimits& limits) {
  const std::vector<Json> items = check.array(value, "groups");
  std::vector<GroupRecord> groups;
  std::map<std::string, std::size_t> by_name;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Field field = Field("groups", i);
    GroupRecord group;
    group.label = parse_label(check, items[i], field, 0);
    const std::string& name = group.label.name;
    if (structures.count(name) != 0 || !by_name.emplace(name, i).second) {
      check.fail(Field(field, "name"), "\"" + name + "\" is already a structure or group name");
    }
    const std::vector<Json> members =
        check.array(check.member(items[i], "members", field), Field(field, "members"));
    if (members.empty()) check.fail(Field(field, "members"), "a group needs at least one member");
    for (std::size_t m = 0; m < members.size(); ++m) {
      group.members.push_back(check.name(members[m], Field(field, "members", m)));
    }
    if (const std::optional<Json> stats = check.optional_member(items[i], "stats")) {
      group.stats = parse_stats(check, *stats, Field(field, "stats"), shape_zyx);
    }
    if (const std::optional<Json> recognised = check.optional_member(items[i], "recognised")) {
      if (!recognised->is_boolean())
        check.fail(Field(field, "recognised"), "expected true or false");
      group.recognised = recognised->as_bool();
    }
    groups.push_back(std::move(group));
  }
  // Members resolve to structures or groups. The depth-first search keeps its own stack, as the
  // nesting comes from the file: recursion would let 50,000 nested groups overflow the stack.
  constexpr std::uint32_t kOpen = 0xFFFFFFFF;  // on the stack; otherwise 0 = new, n = depth n
  std::vector<std::uint32_t> depth(groups.size(), 0);
  struct Frame {
    std::size_t group;
    std::size_t next_member;
  };
  std::vector<Frame> stack;
  for (std::size_t root = 0; root < groups.size(); ++root) {
    if (depth[root] != 0) continue;
    depth[root] = kOpen;
    stack.push_back({root, 0});
    while (!stack.empty()) {
      const std::size_t g = stack.back().group;
      const std::vector<std::string>& members = groups[g].members;
      if (stack.back().next_member == members.size()) {
        std::uint32_t deepest = 0;
        for (const std::string& member : members) {
          if (const auto it = by_name.find(member); it != by_name.end()) {
            deepest = std::max(deepest, depth[it->second]);
          }
        }
        depth[g] = deepest + 1;  // bounded by the stack check below
        stack.pop_back();
        continue;
      }
      const std::size_t m = stack.back().next_member++;
      const std::string& member = members[m];
      if (structures.count(member) != 0) continue;
      const Field group_field("groups", g);
      const Field field(group_field, "members", m);
      const auto it = by_name.find(member);
      if (it == by_name.end()) check.fail(field, "unknown structure or group \"" + member + "\"");
      if (depth[it->second] == kOpen) {
        check.fail(field, "group \"" + member + "\" contains itself (a cycle)");
      }
      if (depth[it->second] != 0) continue;
      if (stack.size() >= limits.max_group_depth) {
        check.over_limit(field, "groups nested deeper than the read limit of " +
                                    std::to_string(limits.max_group_depth) + " levels");
      }
      depth[it->second] = kOpen;
      stack.push_back({it->second, 0});
    }
  }
  return groups;
}

IndexRecord finish_groups(const Checker& check, const Json& root, IndexRecord& index,
                          const NameSet& structures, const Shape3& shape_zyx,
                          const ReadLimits& limits) {
  if (const std::optional<Json> groups = check.optional_member(root, "groups")) {
    index.groups = parse_groups(check, *groups, structures, shape_zyx, limits);
  }
  return std::move(index);
}

}  // namespace

std::vector<std::string> label_order(const std::vector<EntryRecord>& entries) {
  std::vector<std::string> order;
  std::unordered_set<std::string_view> seen;  // views of the entries' names
  for (const EntryRecord& entry : entries) {
    for (const Label& label : entry.labels) {
      if (seen.insert(label.name).second) order.push_back(label.name);
    }
  }
  return order;
}

std::string encode_index_json(const IndexRecord& index) {
  OrderedJson root;
  root["format"] = kFormatName;
  root["version"] = {index.version_major, index.version_minor};
  root["space"] = detail::space_to_json(index.space, detail::DirectionSpelling::kColumns);
  OrderedJson entries = OrderedJson::array();
  for (const EntryRecord& entry : index.entries) {
    OrderedJson out;
    out["name"] = entry.name;
    out["kind"] = kind_text(entry.kind);
    out["dtype"] = dtype_text(entry.dtype);
    out["coding"] = entry.coding;
    out["offset"] = entry.offset;
    out["length"] = entry.length;
    out["raw_length"] = entry.raw_length;
    out["xxh3"] = detail::hex64(entry.xxh3);
    if (entry.coding == kCodingMedmaskCm) {
      out["chunk_depth"] = entry.chunk_depth;
      OrderedJson chunks = OrderedJson::array();
      for (const ChunkRecord& chunk : entry.chunks) {
        chunks.push_back({{"offset", chunk.offset},
                          {"length", chunk.length},
                          {"xxh3", detail::hex64(chunk.xxh3)}});
      }
      out["chunks"] = std::move(chunks);
      if (!entry.level.empty()) out["level"] = entry.level;
    }
    if (entry.coding == kCodingMedmaskTiles) {
      out["chunk_depth"] = entry.chunk_depth;
      out["tile_yx"] = {entry.tile_y, entry.tile_x};
      OrderedJson tiles = OrderedJson::array();
      for (const ChunkRecord& tile : entry.chunks) {
        tiles.push_back(tile.length == 0
                            ? OrderedJson(0)
                            : OrderedJson::array({tile.length, detail::hex64(tile.xxh3)}));
      }
      out["tiles"] = std::move(tiles);
      if (!entry.level.empty()) out["level"] = entry.level;
      if (entry.reference.present()) {
        OrderedJson map = OrderedJson::array();
        for (const auto& [from, to] : entry.reference.map) map.push_back({from, to});
        out["reference"] = {{"entry", entry.reference.entry}, {"map", std::move(map)}};
      }
    }
    // Since 1.2 a value that follows the previous one (1 for the first) is left out.
    OrderedJson labels = OrderedJson::array();
    std::uint32_t previous = 0;
    for (const Label& label : entry.labels) {
      OrderedJson item = detail::label_to_json<OrderedJson>(label);
      if (label.value == previous + 1) item.erase("value");
      previous = label.value;
      labels.push_back(std::move(item));
    }
    out["labels"] = std::move(labels);
    OrderedJson stats = OrderedJson::object();
    for (const auto& [value, item] : entry.stats) {
      if (item.voxels == 0) continue;
      stats[std::to_string(value)] = stats_to_json(item);
    }
    out["stats"] = std::move(stats);
    entries.push_back(std::move(out));
  }
  root["entries"] = std::move(entries);
  // Since 1.2 the order is written only when it differs from the order of the labels.
  if (index.structure_order != label_order(index.entries)) {
    root["structure_order"] = index.structure_order;
  }
  if (!index.groups.empty()) {
    OrderedJson groups = OrderedJson::array();
    for (const GroupRecord& group : index.groups) {
      OrderedJson out = detail::label_to_json<OrderedJson>(group.label, false);
      out["members"] = group.members;
      if (group.stats.voxels > 0) out["stats"] = stats_to_json(group.stats);
      if (group.recognised) out["recognised"] = true;
      groups.push_back(std::move(out));
    }
    root["groups"] = std::move(groups);
  }
  return root.dump(-1, ' ', false, OrderedJson::error_handler_t::strict);
}

// A layer's "reference" (FORMAT.md 4.3.3): an earlier layer of the same tiles, itself coded
// alone, and a map between their values.
void parse_reference(const Checker& check, const Json& value, const Field& entry_field,
                     std::span<const EntryRecord> earlier, bool layer_references,
                     const ReadLimits& limits, EntryRecord& entry) {
  const std::optional<Json> reference = check.optional_member(value, "reference");
  if (!reference) return;
  const Field field = Field(entry_field, "reference");
  if (!layer_references) {
    check.fail(field, "a layer reference needs required feature bit 2, which is not set");
  }
  if (entry.kind != EntryKind::kLayer || entry.coding != kCodingMedmaskTiles) {
    check.fail(field, "only a layer of coding \"medmask-cm1-tiles\" may have a reference");
  }
  const std::string& name =
      check.string(check.member(*reference, "entry", field), Field(field, "entry"), false);
  const auto found = std::find_if(earlier.begin(), earlier.end(),
                                  [&](const EntryRecord& e) { return e.name == name; });
  if (found == earlier.end()) {
    check.fail(Field(field, "entry"), "\"" + name + "\" is not an earlier entry");
  }
  const EntryRecord& ref = *found;
  if (ref.kind != EntryKind::kLayer || ref.coding != kCodingMedmaskTiles ||
      ref.reference.present() || ref.chunk_depth != entry.chunk_depth ||
      ref.tile_y != entry.tile_y || ref.tile_x != entry.tile_x) {
    check.fail(Field(field, "entry"), "\"" + name +
                                          "\" is not a layer of the same tiles coded alone, as a "
                                          "reference must be");
  }
  const std::vector<Json> map =
      check.array(check.member(*reference, "map", field), Field(field, "map"));
  if (map.size() > limits.max_labels) {
    check.over_limit(Field(field, "map"),
                     "more than " + std::to_string(limits.max_labels) + " pairs");
  }
  entry.reference.entry = name;
  std::set<std::uint32_t> seen;
  for (std::size_t i = 0; i < map.size(); ++i) {
    const Field pair_field = Field(field, "map", i);
    const std::array<Json, 2> pair = check.fixed<2>(map[i], pair_field);
    const auto from = static_cast<std::uint32_t>(
        check.integer(pair[0], Field(pair_field, std::size_t{0}), 1, dtype_max_value(ref.dtype)));
    const auto to = static_cast<std::uint32_t>(
        check.integer(pair[1], Field(pair_field, std::size_t{1}), 1, dtype_max_value(entry.dtype)));
    if (!seen.insert(from).second) {
      check.fail(pair_field, "value " + std::to_string(from) + " is mapped twice");
    }
    entry.reference.map.emplace_back(from, to);
  }
}

IndexRecord decode_index_json(std::string_view text, const std::string& path,
                              std::uint64_t index_offset, std::uint64_t file_length,
                              const ReadLimits& limits, bool split_structures,
                              bool layer_references) {
  const Checker check(path, index_offset, limits);
  std::string problem;
  const std::unique_ptr<detail::StrictJson> parsed =
      detail::StrictJson::parse(text, limits.max_json_depth, problem);
  if (!parsed) check.fail("(document)", problem);
  const Json root = parsed->root();
  check.object(root, "(document)");
  IndexRecord index;
  const std::string& format = check.string(check.member(root, "format", "index"), "format");
  if (format != kFormatName) {
    check.fail("format", "expected \"mska\", found \"" + format + "\"");
  }
  const std::array<Json, 2> version =
      check.fixed<2>(check.member(root, "version", "index"), "version");
  index.version_major =
      static_cast<std::uint16_t>(check.integer(version[0], "version[0]", 0, 65535));
  index.version_minor =
      static_cast<std::uint16_t>(check.integer(version[1], "version[1]", 0, 65535));
  index.space = parse_space(check, check.member(root, "space", "index"));
  const std::uint64_t voxels =
      checked_voxel_count(index.space.shape_xyz(), path, index_offset, limits);
  const Shape3 shape_zyx = index.space.shape_zyx();

  const std::vector<Json> entries = check.array(check.member(root, "entries", "index"), "entries");
  if (entries.size() > limits.max_entries) {
    throw_at<LimitError>(path, "index field entries", index_offset,
                         std::to_string(entries.size()) + " entries exceed the read limit of " +
                             std::to_string(limits.max_entries));
  }
  // The sets below hold views of the names in index.entries, reserved so that no record moves.
  index.entries.reserve(entries.size());
  NameSet entry_names;
  NameSet label_names;
  // The kind of the first entry naming each structure.
  std::unordered_map<std::string_view, EntryKind> owner_kind;
  std::uint64_t label_count = 0;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Field field = Field("entries", i);
    index.entries.push_back(parse_entry(check, entries[i], field, voxels, shape_zyx, file_length));
    EntryRecord& entry = index.entries.back();
    parse_reference(check, entries[i], field, std::span(index.entries).first(i), layer_references,
                    limits, entry);
    if (!entry_names.insert(entry.name).second) {
      check.fail(Field(field, "name"), "duplicate entry name \"" + entry.name + "\"");
    }
    label_count += entry.labels.size();
    if (label_count > limits.max_labels) {
      throw_at<LimitError>(path, "index field " + Field(field, "labels").text(), index_offset,
                           "more than " + std::to_string(limits.max_labels) + " labels");
    }
    for (const Label& label : entry.labels) {
      const auto [it, fresh] = owner_kind.emplace(label.name, entry.kind);
      label_names.insert(label.name);
      if (fresh) continue;
      // Feature bit 0: a structure split over layers has a part in each (FORMAT.md 10.2).
      if (!split_structures) {
        check.fail(Field(field, "labels"), "structure name \"" + label.name +
                                               "\" is used twice; names are unique per archive");
      }
      if (it->second != EntryKind::kLayer || entry.kind != EntryKind::kLayer) {
        check.fail(Field(field, "labels"), "structure \"" + label.name +
                                               "\" has parts in an entry of kind \"mask\"; only "
                                               "layers may share a structure");
      }
    }
  }

  const std::optional<Json> order = check.optional_member(root, "structure_order");
  if (!order) {
    index.structure_order = label_order(index.entries);
    return finish_groups(check, root, index, label_names, shape_zyx, limits);
  }
  const std::vector<Json> ordered = check.array(*order, "structure_order");
  NameSet listed;
  for (std::size_t i = 0; i < ordered.size(); ++i) {
    const Field field = Field("structure_order", i);
    const std::string_view name = check.name_text(ordered[i], field);
    if (label_names.count(name) == 0) {
      check.fail(field, "unknown structure \"" + std::string(name) + "\"");
    }
    if (!listed.insert(name).second) {
      check.fail(field, "\"" + std::string(name) + "\" is listed twice");
    }
    index.structure_order.emplace_back(name);
  }
  if (listed.size() != label_names.size()) {
    check.fail("structure_order", "expected every structure once; " +
                                      std::to_string(label_names.size() - listed.size()) +
                                      " missing");
  }
  return finish_groups(check, root, index, label_names, shape_zyx, limits);
}

}  // namespace medmask::container
