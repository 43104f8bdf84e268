// Hostile .mska files: truncations, bit flips and crafted headers and indexes must each give a
// medmask::Error of the right kind, never a crash, a hang or another exception (FORMAT.md 7).
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "archive_test_support.hpp"
#include "codec/label_codec.hpp"
#include "container/header.hpp"
#include "container/index_frame.hpp"
#include "container/zstd_section.hpp"
#include "detail/byte_io.hpp"
#include "detail/checksum.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"

namespace medmask {
namespace {

using Bytes = std::vector<std::uint8_t>;
using Json = nlohmann::json;
using testing::box;
using testing::oblique_space;
using testing::read_bytes;
using testing::TempDir;
using testing::write_bytes;

// Opens the file and reads every entry and structure. nullopt when all of it worked.
std::optional<Error> open_and_read_all(const std::string& path) {
  try {
    const MaskArchive archive(path, OpenMode::kRead);
    for (const std::string& entry : archive.entry_names()) archive.load_mask(entry);
    for (const StructureInfo& info : archive.structures()) archive.read_structure(info.name);
    return std::nullopt;
  } catch (const Error& error) {
    return error;
  }
}

// A small valid archive: a bool mask entry and two overlapping structures (two layers).
Bytes make_valid(const TempDir& dir, Shape3 shape_xyz = {6, 5, 4}, WriteOptions options = {}) {
  const Space space = oblique_space(shape_xyz);
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("valid.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space, options);
    LabelTable labels;
    labels.add("flag", 1);
    archive.add_mask("flags", SegmentationMask(box(shape, {0, 0, 0}, {1, 2, 3}), labels, space));
    archive.add_structure("a", box(shape, {1, 1, 1}, {2, 3, 4}));
    archive.add_structure("b", box(shape, {0, 0, 0}, {shape[0] - 1, 2, 2}));
  }
  return read_bytes(path);
}

WriteOptions with_coding(Coding coding, std::uint32_t chunk_depth = 64) {
  WriteOptions options;
  options.coding = coding;
  options.chunk_depth = chunk_depth;
  return options;
}

struct Parsed {
  container::Header header;
  Json index;
};

Parsed parse(const Bytes& file) {
  Parsed parsed;
  parsed.header = container::decode_header(file, file.size(), "valid", {});
  parsed.index = Json::parse(container::decompress_index(
      std::span(file).subspan(parsed.header.index_offset, parsed.header.index_length),
      parsed.header.index_raw_length, parsed.header.required_features, "valid",
      parsed.header.index_offset));
  return parsed;
}

// The valid file's data sections with a new index (and header fields changed by tweak), every
// checksum recomputed so that only the intended defect remains.
Bytes rebuild(const Bytes& valid, const std::string& index_text,
              const std::function<void(container::Header&)>& tweak = {},
              const Bytes& extra_data = {}) {
  const Parsed parsed = parse(valid);
  Bytes out(valid.begin(), valid.begin() + static_cast<long>(parsed.header.index_offset));
  out.insert(out.end(), extra_data.begin(), extra_data.end());
  const Bytes compressed = container::zstd_compress(index_text.data(), index_text.size(), 3);
  container::Header header;
  header.index_offset = out.size();
  header.index_length = compressed.size();
  header.index_raw_length = index_text.size();
  header.index_xxh3 = detail::xxh3_64(compressed.data(), compressed.size());
  out.insert(out.end(), compressed.begin(), compressed.end());
  header.file_length = out.size();
  if (tweak) tweak(header);
  const auto head = container::encode_header(header);
  std::copy(head.begin(), head.end(), out.begin());
  return out;
}

void expect_error(const TempDir& dir, const Bytes& bytes, ErrorCode kind,
                  const std::string& fragment, const std::string& what) {
  const std::string path = dir.file("case.mska");
  write_bytes(path, bytes);
  const std::optional<Error> error = open_and_read_all(path);
  ASSERT_TRUE(error.has_value()) << what << ": no error";
  EXPECT_EQ(error->code(), kind) << what << ": " << error->what();
  EXPECT_NE(std::string(error->what()).find(fragment), std::string::npos)
      << what << ": message lacks '" << fragment << "': " << error->what();
  EXPECT_EQ(error->path(), path) << what;
}

// One field of the valid index set to a hostile value, and the error it must give.
struct IndexCase {
  std::string pointer;
  Json value;  // null: remove the key
  ErrorCode kind;
  std::string fragment;
};

void expect_index_errors(const TempDir& dir, const Bytes& valid, const Json& base,
                         const std::vector<IndexCase>& cases) {
  for (const IndexCase& c : cases) {
    Json index = base;
    const Json::json_pointer pointer(c.pointer);
    if (c.value.is_null()) {
      index[pointer.parent_pointer()].erase(pointer.back());
    } else {
      index[pointer] = c.value;
    }
    expect_error(dir, rebuild(valid, index.dump()), c.kind, c.fragment,
                 c.pointer + " = " + c.value.dump());
  }
}

TEST(ArchiveCorrupt, ValidFileAndTrailingBytesOpen) {
  TempDir dir;
  Bytes valid = make_valid(dir);
  write_bytes(dir.file("ok.mska"), valid);
  EXPECT_FALSE(open_and_read_all(dir.file("ok.mska")).has_value());
  // FORMAT.md 3: bytes past file_length (an interrupted append) are ignored.
  valid.insert(valid.end(), {1, 2, 3, 4, 5});
  write_bytes(dir.file("tail.mska"), valid);
  EXPECT_FALSE(open_and_read_all(dir.file("tail.mska")).has_value());
}

TEST(ArchiveCorrupt, EveryTruncationIsAFormatError) {
  TempDir dir;
  for (const Coding coding : {Coding::kZstd, Coding::kMedmaskCm}) {
    const Bytes valid = make_valid(dir, {6, 5, 4}, with_coding(coding, 3));
    ASSERT_LT(valid.size(), 4096u);
    for (std::size_t size = 0; size < valid.size(); ++size) {
      write_bytes(dir.file("cut.mska"),
                  Bytes(valid.begin(), valid.begin() + static_cast<long>(size)));
      const std::optional<Error> error = open_and_read_all(dir.file("cut.mska"));
      ASSERT_TRUE(error.has_value()) << "truncated to " << size;
      EXPECT_EQ(error->code(), ErrorCode::kFormat) << size << ": " << error->what();
    }
  }
}

TEST(ArchiveCorrupt, TruncationAtSectionBoundariesOfALargerFile) {
  TempDir dir;
  // Chunks of 10 slices: 3 chunks per entry, their boundaries cut as well.
  const Bytes valid = make_valid(dir, {61, 47, 23}, with_coding(Coding::kMedmaskCm, 10));
  const Parsed parsed = parse(valid);
  std::set<std::size_t> cuts{0, 1, 7, 8, 63, 64, 65, valid.size() - 1};
  for (const Json& entry : parsed.index["entries"]) {
    const auto offset = entry["offset"].get<std::size_t>();
    const auto end = offset + entry["length"].get<std::size_t>();
    for (const std::size_t at : {offset - 1, offset, offset + 1, end - 1, end, end + 1})
      cuts.insert(at);
    EXPECT_EQ(entry["chunks"].size(), 3u);
    for (const Json& chunk : entry["chunks"]) {
      const std::size_t at = offset + chunk["offset"].get<std::size_t>();
      for (const std::size_t near : {at - 1, at, at + 1}) cuts.insert(near);
    }
  }
  const std::size_t index = parsed.header.index_offset;
  for (const std::size_t at : {index - 1, index, index + 1}) cuts.insert(at);
  for (const std::size_t size : cuts) {
    if (size >= valid.size()) continue;
    write_bytes(dir.file("cut.mska"),
                Bytes(valid.begin(), valid.begin() + static_cast<long>(size)));
    const std::optional<Error> error = open_and_read_all(dir.file("cut.mska"));
    ASSERT_TRUE(error.has_value()) << "truncated to " << size;
    EXPECT_EQ(error->code(), ErrorCode::kFormat) << size << ": " << error->what();
  }
}

TEST(ArchiveCorrupt, EveryBitFlipIsDetected) {
  // Every byte of a file is covered by a checksum (FORMAT.md 6), so every flip must fail.
  TempDir dir;
  const Bytes valid = make_valid(dir, {6, 5, 4}, with_coding(Coding::kMedmaskCm, 3));
  for (std::size_t byte = 0; byte < valid.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      Bytes bytes = valid;
      bytes[byte] = static_cast<std::uint8_t>(bytes[byte] ^ (1u << bit));
      write_bytes(dir.file("flip.mska"), bytes);
      const std::optional<Error> error = open_and_read_all(dir.file("flip.mska"));
      ASSERT_TRUE(error.has_value()) << "flip of byte " << byte << " bit " << bit;
      const bool version_byte = byte == 8 || byte == 9;  // major version: newer = unsupported
      if (version_byte && error->code() == ErrorCode::kUnsupported) continue;
      EXPECT_EQ(error->code(), ErrorCode::kFormat)
          << "byte " << byte << " bit " << bit << ": " << error->what();
    }
  }
}

TEST(ArchiveCorrupt, HostileHeaders) {
  TempDir dir;
  const Bytes valid = make_valid(dir);
  const std::string index = parse(valid).index.dump();
  struct Case {
    std::string what;
    std::function<void(container::Header&)> tweak;
    ErrorCode kind;
    std::string fragment;
  };
  const std::vector<Case> cases{
      {"unknown feature", [](auto& h) { h.required_features = 1u << 5; }, ErrorCode::kUnsupported,
       "bit 5"},
      {"major 2", [](auto& h) { h.version_major = 2; }, ErrorCode::kUnsupported, "version_major"},
      {"major 0", [](auto& h) { h.version_major = 0; }, ErrorCode::kFormat, "version_major"},
      {"minor ahead of index", [](auto& h) { ++h.version_minor; }, ErrorCode::kFormat, "version"},
      {"huge raw index", [](auto& h) { h.index_raw_length = std::uint64_t{65} << 20; },
       ErrorCode::kLimit, "index_raw_length"},
      {"raw index off by one", [](auto& h) { ++h.index_raw_length; }, ErrorCode::kFormat,
       "content size"},
      {"file_length beyond file", [](auto& h) { ++h.file_length; }, ErrorCode::kFormat,
       "truncated"},
      {"file_length tiny", [](auto& h) { h.file_length = 10; }, ErrorCode::kFormat, "file_length"},
      {"index inside header", [](auto& h) { h.index_offset = 10; }, ErrorCode::kFormat,
       "index_offset"},
      {"index offset overflow", [](auto& h) { h.index_offset = ~std::uint64_t{0} - 3; },
       ErrorCode::kFormat, "index_offset"},
      {"index length overflow", [](auto& h) { h.index_length = ~std::uint64_t{0}; },
       ErrorCode::kFormat, "index_offset"},
      {"empty index", [](auto& h) { h.index_length = 0; }, ErrorCode::kFormat, "index_length"},
      {"index checksum", [](auto& h) { h.index_xxh3 ^= 1; }, ErrorCode::kFormat, "checksum"},
  };
  for (const Case& c : cases)
    expect_error(dir, rebuild(valid, index, c.tweak), c.kind, c.fragment, c.what);
  // A newer minor version (same in header and index) is read: additions are may-ignore.
  Json newer = parse(valid).index;
  newer["version"] = {1, 4};
  newer["added_in_1_4"] = {{"anything", {1, 2, 3}}};
  write_bytes(dir.file("minor.mska"),
              rebuild(valid, newer.dump(), [](auto& h) { h.version_minor = 4; }));
  const std::optional<Error> error = open_and_read_all(dir.file("minor.mska"));
  EXPECT_FALSE(error.has_value()) << error->what();
}

TEST(ArchiveCorrupt, HostileIndexFields) {
  TempDir dir;
  const Bytes valid = make_valid(dir, {6, 5, 4}, with_coding(Coding::kMedmaskCm));
  Json base = parse(valid).index;
  ASSERT_EQ(base["entries"][0]["dtype"], "bool");
  // Writers omit structure_order when it is the label order; spell it out to corrupt it.
  ASSERT_FALSE(base.contains("structure_order"));
  base["structure_order"] = {"flag", "a", "b"};
  const Json stats_beyond = {
      {"1", {{"voxels", 1}, {"bbox_min_zyx", {0, 0, 0}}, {"bbox_max_zyx", {99, 0, 0}}}}};
  const Json stats_key = {
      {"01", {{"voxels", 1}, {"bbox_min_zyx", {0, 0, 0}}, {"bbox_max_zyx", {0, 0, 0}}}}};
  const Json stats_too_many = {
      {"1", {{"voxels", 5}, {"bbox_min_zyx", {0, 0, 0}}, {"bbox_max_zyx", {0, 0, 1}}}}};
  const std::vector<IndexCase> cases{
      {"/format", "mskb", ErrorCode::kFormat, "format"},
      {"/version", {1, 0}, ErrorCode::kFormat, "version"},
      {"/version", "1.0", ErrorCode::kFormat, "version"},
      {"/space", nullptr, ErrorCode::kFormat, "space"},
      {"/space/shape_xyz/0", 0, ErrorCode::kFormat, "space.shape_xyz[0]"},
      {"/space/shape_xyz/1", 2.5, ErrorCode::kFormat, "space.shape_xyz[1]"},
      {"/space/shape_xyz", {100000, 100000, 100000}, ErrorCode::kLimit, "space.shape_xyz"},
      {"/space/spacing_mm/0", -1.0, ErrorCode::kFormat, "space"},
      {"/space/origin_lps", {1, 2}, ErrorCode::kFormat, "space.origin_lps"},
      {"/space/direction_columns/0", {1, 1, 0}, ErrorCode::kFormat, "space"},
      {"/entries", Json::object(), ErrorCode::kFormat, "entries"},
      {"/entries/0/name", "layer0", ErrorCode::kFormat, "duplicate entry"},
      {"/entries/0/name", "", ErrorCode::kFormat, "entries[0].name"},
      {"/entries/0/kind", "weird", ErrorCode::kFormat, "entries[0].kind"},
      {"/entries/0/dtype", "int8", ErrorCode::kFormat, "entries[0].dtype"},
      {"/entries/0/offset", 0, ErrorCode::kFormat, "entries[0].offset"},
      {"/entries/0/offset", 1u << 30, ErrorCode::kFormat, "entries[0].offset"},
      {"/entries/0/length", 1000000000000ull, ErrorCode::kFormat, "entries[0].length"},
      {"/entries/0/length", 0, ErrorCode::kFormat, "entries[0].length"},
      {"/entries/0/raw_length", 5, ErrorCode::kFormat, "entries[0].raw_length"},
      {"/entries/0/xxh3", "xyz", ErrorCode::kFormat, "entries[0].xxh3"},
      {"/entries/0/xxh3", "0000000000000000", ErrorCode::kFormat, "checksum mismatch"},
      {"/entries/0/coding", "mmc1", ErrorCode::kUnsupported, "mmc1"},
      {"/entries/0/coding", "zstd", ErrorCode::kFormat, "zstd"},
      {"/entries/0/chunk_depth", 0, ErrorCode::kFormat, "entries[0].chunk_depth"},
      {"/entries/0/chunk_depth", nullptr, ErrorCode::kFormat, "entries[0].chunk_depth"},
      {"/entries/0/chunk_depth", 2, ErrorCode::kFormat, "entries[0].chunks"},
      {"/entries/0/chunks", nullptr, ErrorCode::kFormat, "entries[0].chunks"},
      {"/entries/0/chunks/0", 5, ErrorCode::kFormat, "entries[0].chunks[0]"},
      {"/entries/0/chunks/0/offset", 1, ErrorCode::kFormat, "entries[0].chunks[0].offset"},
      {"/entries/0/chunks/0/length", 1, ErrorCode::kFormat, "cover"},
      {"/entries/0/chunks/0/length", 1u << 30, ErrorCode::kFormat, "entries[0].chunks[0].length"},
      {"/entries/0/chunks/0/xxh3", "zz", ErrorCode::kFormat, "entries[0].chunks[0].xxh3"},
      {"/entries/0/chunks/0/xxh3", "0000000000000000", ErrorCode::kFormat, "chunk 0 of 1"},
      {"/entries/0/labels", nullptr, ErrorCode::kFormat, "entries[0].labels"},
      {"/entries/0/labels/0/value", 0, ErrorCode::kFormat, "entries[0].labels[0].value"},
      {"/entries/0/labels/0/value", 2, ErrorCode::kFormat, "entries[0].labels[0].value"},
      {"/entries/0/labels/0/value", -3, ErrorCode::kFormat, "entries[0].labels[0].value"},
      {"/entries/0/labels/0/name", "", ErrorCode::kFormat, "entries[0].labels[0].name"},
      {"/entries/0/labels/0/name", "a", ErrorCode::kFormat, "used twice"},
      {"/entries/0/labels/0/color", {1, 2}, ErrorCode::kFormat, "color"},
      {"/entries/0/labels/0/color", {1, 2, 256}, ErrorCode::kFormat, "color[2]"},
      {"/entries/0/labels/0/concept", {{"scheme", "SCT"}}, ErrorCode::kFormat, "concept.code"},
      {"/entries/0/stats", stats_beyond, ErrorCode::kFormat, "bbox_max_zyx[0]"},
      {"/entries/0/stats", stats_key, ErrorCode::kFormat, "stats[\"01\"]"},
      {"/entries/0/stats", stats_too_many, ErrorCode::kFormat, "exceeds the bounding box"},
      {"/structure_order", Json::array(), ErrorCode::kFormat, "structure_order"},
      {"/structure_order/0", "zzz", ErrorCode::kFormat, "structure_order[0]"},
      {"/structure_order/1", "flag", ErrorCode::kFormat, "twice"},
      {"/groups", {{"name", "g"}}, ErrorCode::kFormat, "groups"},
      {"/groups", Json::array({{{"name", "g"}}}), ErrorCode::kFormat, "groups[0].members"},
      {"/groups", Json::array({{{"name", "g"}, {"members", Json::array()}}}), ErrorCode::kFormat,
       "at least one member"},
      {"/groups", Json::array({{{"name", "g"}, {"members", {"zzz"}}}}), ErrorCode::kFormat,
       "unknown structure or group"},
      {"/groups", Json::array({{{"name", "a"}, {"members", {"b"}}}}), ErrorCode::kFormat,
       "already a structure"},
      {"/groups", Json::array({{{"name", "g"}, {"members", {"g"}}}}), ErrorCode::kFormat, "cycle"},
      {"/groups",
       Json::array({{{"name", "g"}, {"members", {"a", "h"}}}, {{"name", "h"}, {"members", {"g"}}}}),
       ErrorCode::kFormat, "cycle"},
  };
  expect_index_errors(dir, valid, base, cases);
  // Not an object, not JSON, not UTF-8, too deep.
  expect_error(dir, rebuild(valid, "[]"), ErrorCode::kFormat, "object", "array root");
  expect_error(dir, rebuild(valid, "{\"format\": "), ErrorCode::kFormat, "JSON", "cut JSON");
  expect_error(dir, rebuild(valid, "{\"format\": \"\xff\"}"), ErrorCode::kFormat, "JSON",
               "bad UTF-8");
  // Deep enough for the JSON depth limit, not so repetitive that the size-ratio check fires first.
  std::string deep = "{\"x\": " + std::string(1000, '[') + std::string(1000, ']') + "}";
  expect_error(dir, rebuild(valid, deep), ErrorCode::kFormat, "nested", "deep nesting");
  std::string bomb = "{\"x\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  expect_error(dir, rebuild(valid, bomb), ErrorCode::kLimit, "compressed", "index bomb");
  // Unknown keys are ignored (may-ignore).
  Json extra = base;
  extra["entries"][0]["future"] = {{"k", 1}};
  write_bytes(dir.file("extra.mska"), rebuild(valid, extra.dump()));
  EXPECT_FALSE(open_and_read_all(dir.file("extra.mska")).has_value());
}

TEST(ArchiveCorrupt, HostileDataSections) {
  TempDir dir;
  const Bytes valid = make_valid(dir, {6, 5, 4}, with_coding(Coding::kZstd));
  const Json base = parse(valid).index;
  const auto raw_length = base["entries"][0]["raw_length"].get<std::size_t>();
  // Each crafted section is appended after the old data, with a correct checksum.
  const auto with_section = [&](const Bytes& section) {
    Json index = base;
    index["entries"][0]["offset"] = parse(valid).header.index_offset;
    index["entries"][0]["length"] = section.size();
    index["entries"][0]["xxh3"] = detail::hex64(detail::xxh3_64(section.data(), section.size()));
    return rebuild(valid, index.dump(), {}, section);
  };
  Bytes bool_two(raw_length, 0);
  bool_two[3] = 2;
  expect_error(dir, with_section(container::zstd_compress(bool_two.data(), bool_two.size(), 3)),
               ErrorCode::kFormat, "bool voxel 3", "bool byte 2");
  const Bytes short_raw(raw_length - 1, 0);
  expect_error(dir, with_section(container::zstd_compress(short_raw.data(), short_raw.size(), 3)),
               ErrorCode::kFormat, "content size", "short frame");
  Bytes two_frames = container::zstd_compress(bool_two.data(), bool_two.size(), 3);
  two_frames.push_back(0);
  expect_error(dir, with_section(two_frames), ErrorCode::kFormat, "one zstd frame", "tail byte");
  expect_error(dir, with_section(Bytes(40, 0xAB)), ErrorCode::kFormat, "zstd", "not zstd");
}

// Each thread keeps one zstd decompression context between calls (it cost 15 us to create):
// a call that fails half-way, or one with a dictionary, must leave nothing to the next call.
TEST(ZstdSection, EachCallStartsAfresh) {
  const std::string prefix_text = "adrenal_gland_left adrenal_gland_right aorta autochthon_left";
  const Bytes prefix(prefix_text.begin(), prefix_text.end());
  std::string text;
  for (int i = 0; i < 20; ++i) text += prefix_text.substr(static_cast<std::size_t>(i), 30) + ";";
  const Bytes with_prefix = container::zstd_compress(text.data(), text.size(), 19, prefix);
  const Bytes plain = container::zstd_compress(text.data(), text.size(), 3);
  const auto decode = [&](const Bytes& frame, std::span<const std::uint8_t> dictionary) {
    std::string out(text.size(), '\0');
    container::zstd_decompress_exact(frame, out.data(), out.size(), "case.mska", "index", 64,
                                     dictionary);
    return out;
  };
  EXPECT_EQ(decode(with_prefix, prefix), text);
  // Without its prefix the frame refers to bytes before its start: zstd stops half-way.
  EXPECT_THROW(decode(with_prefix, {}), FormatError);
  EXPECT_EQ(decode(plain, {}), text);
  EXPECT_EQ(decode(with_prefix, prefix), text);
  EXPECT_THROW(decode(with_prefix, {}), FormatError);
  EXPECT_EQ(decode(with_prefix, prefix), text);
}

// The tile table of a "medmask-cm1-tiles" entry (FORMAT.md 4.3.2): every bad field is a
// FormatError naming it; a stored tile whose checksum does not match fails when it is read.
TEST(ArchiveCorrupt, HostileTileFields) {
  TempDir dir;
  WriteOptions options = with_coding(Coding::kMedmaskTiles, 2);
  options.tile_size = 3;  // (z, y, x) = (4, 5, 6): 2 x 2 x 2 tiles of 2 slices, 3 rows, 3 columns
  const Bytes valid = make_valid(dir, {6, 5, 4}, options);
  const Json base = parse(valid).index;
  ASSERT_EQ(base["entries"][0]["tile_yx"], Json::array({3, 3}));
  ASSERT_EQ(base["entries"][0]["tiles"].size(), 8u);
  ASSERT_TRUE(base["entries"][0]["tiles"][0].is_array());  // "flags" lies in tiles 0 and 1
  ASSERT_EQ(base["entries"][0]["tiles"][7], 0);
  const std::vector<IndexCase> cases = {
      {"/entries/0/tile_yx", nullptr, ErrorCode::kFormat, "entries[0].tile_yx"},
      {"/entries/0/tile_yx", {3}, ErrorCode::kFormat, "entries[0].tile_yx"},
      {"/entries/0/tile_yx/0", 0, ErrorCode::kFormat, "entries[0].tile_yx[0]"},
      {"/entries/0/tile_yx/1", 2.0, ErrorCode::kFormat, "entries[0].tile_yx[1]"},
      {"/entries/0/tile_yx/0", 5, ErrorCode::kFormat, "entries[0].tiles"},  // 4 tiles, not 8
      {"/entries/0/chunk_depth", 4, ErrorCode::kFormat, "entries[0].tiles"},
      {"/entries/0/tiles", nullptr, ErrorCode::kFormat, "entries[0].tiles"},
      {"/entries/0/tiles/0", 5, ErrorCode::kFormat, "entries[0].tiles[0]"},
      {"/entries/0/tiles/0", 0, ErrorCode::kFormat, "cover"},
      {"/entries/0/tiles/0", Json::array({1}), ErrorCode::kFormat, "entries[0].tiles[0]"},
      {"/entries/0/tiles/0/0", 1, ErrorCode::kFormat, "cover"},
      {"/entries/0/tiles/0/0", 1u << 30, ErrorCode::kFormat, "entries[0].tiles[0][0]"},
      {"/entries/0/tiles/0/0", 0, ErrorCode::kFormat, "entries[0].tiles[0][0]"},
      {"/entries/0/tiles/0/1", "zz", ErrorCode::kFormat, "entries[0].tiles[0][1]"},
      {"/entries/0/tiles/0/1", "0000000000000000", ErrorCode::kFormat, "tile 0 of 8"},
      {"/entries/0/tiles/7", Json::array({1, "0000000000000000"}), ErrorCode::kFormat,
       "entries[0].tiles[7][0]"},
  };
  expect_index_errors(dir, valid, base, cases);
}

// medmask-cm1 sections whose chunks carry correct checksums but bad content (FORMAT.md 5.2).
TEST(ArchiveCorrupt, HostileCodecChunks) {
  TempDir dir;
  // {6, 5, 4} with depth 2: entry 0 (bool) has two chunks of 2 slices of 5 x 6 voxels.
  const Bytes valid = make_valid(dir, {6, 5, 4}, with_coding(Coding::kMedmaskCm, 2));
  const Json base = parse(valid).index;
  ASSERT_EQ(base["entries"][0]["chunks"].size(), 2u);
  const auto index_offset = parse(valid).header.index_offset;
  const auto with_chunks = [&](const std::vector<Bytes>& chunks) {
    Json index = base;
    Bytes section;
    Json table = Json::array();
    for (const Bytes& chunk : chunks) {
      table.push_back({{"offset", section.size()},
                       {"length", chunk.size()},
                       {"xxh3", detail::hex64(detail::xxh3_64(chunk.data(), chunk.size()))}});
      section.insert(section.end(), chunk.begin(), chunk.end());
    }
    index["entries"][0]["offset"] = index_offset;
    index["entries"][0]["length"] = section.size();
    index["entries"][0]["xxh3"] = detail::hex64(detail::xxh3_64(section.data(), section.size()));
    index["entries"][0]["chunks"] = table;
    return rebuild(valid, index.dump(), {}, section);
  };
  const codec::Dims dims{6, 5, 2};
  std::vector<std::uint8_t> zeros(60, 0), twos(60, 0);
  twos[7] = 2;
  const Bytes good = codec::encode_chunk(zeros.data(), dims, codec::Level::kDefault);
  const std::string at_chunk1 =
      "chunk 1 of 2 at byte " + std::to_string(index_offset + good.size());
  expect_error(dir, with_chunks({good, Bytes(good.size(), 0xAB)}), ErrorCode::kFormat,
               at_chunk1 + ": codec error", "garbage chunk");
  Bytes cut = codec::encode_chunk(twos.data(), dims, codec::Level::kDefault);
  cut.pop_back();
  expect_error(dir, with_chunks({good, cut}), ErrorCode::kFormat, at_chunk1 + ": codec error",
               "cut chunk");
  const std::vector<std::uint16_t> wide(60, 0);
  expect_error(dir,
               with_chunks({good, codec::encode_chunk(wide.data(), dims, codec::Level::kFast)}),
               ErrorCode::kFormat, "chunk 1 of 2", "uint16 chunk in a bool entry");
  const Bytes thin = codec::encode_chunk(zeros.data(), codec::Dims{6, 5, 1}, codec::Level::kMax);
  expect_error(dir, with_chunks({good, thin}), ErrorCode::kFormat, "chunk 1 of 2",
               "chunk of 1 slice where 2 are due");
  // A valid stream of a value a bool entry cannot hold: voxel 2 * 30 + 7 of the volume.
  expect_error(dir, with_chunks({good, codec::encode_chunk(twos.data(), dims, codec::Level::kMax)}),
               ErrorCode::kFormat, "bool voxel 67", "bool value 2");
  // Chunk bytes changed after the chunk table was written, entry checksum recomputed: the chunk's
  // own checksum catches it before the decoder runs.
  Json index = base;
  Bytes patched = valid;
  const auto offset = base["entries"][0]["offset"].get<std::size_t>();
  const auto length = base["entries"][0]["length"].get<std::size_t>();
  patched[offset + length - 1] ^= 0x10;
  index["entries"][0]["xxh3"] = detail::hex64(detail::xxh3_64(patched.data() + offset, length));
  expect_error(dir, rebuild(patched, index.dump()), ErrorCode::kFormat, "chunk 1 of 2", "patched");
}

}  // namespace
}  // namespace medmask
