// test_corrupt_suite.cpp: the corrupt-file suite (issue 15). From valid archives of every level
// and layout it derives cases: truncations at every section boundary and at random offsets, bit
// flips and overwrites in every section, chunks swapped and duplicated, and (sealed: every
// checksum recomputed, fuzz/archive_seal.hpp) hostile values, removed keys and duplicated items
// in the index, and chunks moved inside the data. Every case must give a typed medmask error or
// a read equal to the original arrays; a sealed case may also read different arrays (its
// checksums are valid, so no reader can tell), but they must have the grid's shape.
// Cases are numbered; MEDMASK_CORRUPT_CASES picks how many run (default a sample of 500; `make
// corrupt-full` runs 12,000), MEDMASK_CORRUPT_FIRST where to start.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "archive_seal.hpp"
#include "archive_test_support.hpp"
#include "fuzz_support.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "sample_archives.hpp"

namespace medmask::testing {
namespace {

using Bytes = std::vector<std::uint8_t>;
using nlohmann::json;

struct Section {
  std::uint64_t begin, end;  // [begin, end) in the file
};

// One valid archive and what it holds.
struct Original {
  std::string name;
  Bytes bytes;
  fuzz::UnsealedArchive parts;
  std::vector<Section> sections;          // header, entries, chunks, index
  std::vector<Section> chunks;            // medmask-cm1 chunks, stored tiles (absolute)
  std::vector<std::uint64_t> boundaries;  // every section start and end, header fields
  std::vector<std::string> names;         // structures and groups, in order
  std::map<std::string, LabelVolume> reads;
  std::map<std::string, LabelVolume> entries;
};

std::uint64_t u64_at(const Bytes& bytes, std::size_t offset) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value |= std::uint64_t{bytes[offset + i]} << (8 * i);
  return value;
}

Original make_original(const std::string& name, const Bytes& bytes, const std::string& path) {
  Original original;
  original.name = name;
  original.bytes = bytes;
  original.parts = fuzz::unseal(bytes, name);
  const std::uint64_t index_offset = u64_at(bytes, 16), index_length = u64_at(bytes, 24);
  original.sections.push_back({0, 64});
  const json index = json::parse(original.parts.index_json);
  for (const json& entry : index["entries"]) {
    const auto offset = entry["offset"].get<std::uint64_t>();
    original.sections.push_back({offset, offset + entry["length"].get<std::uint64_t>()});
    if (entry.contains("tiles")) {  // medmask-cm1-tiles: stored tiles back to back (5.3)
      std::uint64_t begin = offset;
      for (const json& tile : entry["tiles"]) {
        if (!tile.is_array()) continue;  // an empty tile has no bytes
        const Section section{begin, begin + tile[0].get<std::uint64_t>()};
        original.sections.push_back(section);
        original.chunks.push_back(section);
        begin = section.end;
      }
    }
    if (!entry.contains("chunks")) continue;
    for (const json& chunk : entry["chunks"]) {
      const std::uint64_t begin = offset + chunk["offset"].get<std::uint64_t>();
      const Section section{begin, begin + chunk["length"].get<std::uint64_t>()};
      original.sections.push_back(section);
      original.chunks.push_back(section);
    }
  }
  original.sections.push_back({index_offset, index_offset + index_length});
  for (std::uint64_t field = 0; field <= 64; field += 8) original.boundaries.push_back(field);
  for (const Section& section : original.sections) {
    original.boundaries.push_back(section.begin);
    original.boundaries.push_back(section.end);
  }
  write_bytes(path, bytes);
  const MaskArchive archive(path, OpenMode::kRead);
  for (const StructureInfo& info : archive.structures()) {
    original.names.push_back(info.name);
    original.reads[info.name] = archive.read_structure(info.name);
  }
  for (const std::string& entry : archive.entry_names())
    original.entries[entry] = archive.load_mask(entry).volume();
  return original;
}

// Sealed: every checksum recomputed, so only index validation and decoders can object.
struct Case {
  Bytes bytes;
  std::string what;
  bool sealed = false;
};

// Paths to every number, string and array inside the index JSON.
void collect(const json& value, const json::json_pointer& at,
             std::vector<json::json_pointer>* numbers, std::vector<json::json_pointer>* strings,
             std::vector<json::json_pointer>* arrays, std::vector<json::json_pointer>* all) {
  if (!at.empty()) all->push_back(at);
  if (value.is_number()) numbers->push_back(at);
  if (value.is_string()) strings->push_back(at);
  if (value.is_array()) {
    arrays->push_back(at);
    for (std::size_t i = 0; i < value.size(); ++i)
      collect(value[i], at / i, numbers, strings, arrays, all);
  }
  if (value.is_object())
    for (const auto& [key, item] : value.items())
      collect(item, at / key, numbers, strings, arrays, all);
}

Bytes sealed_with(const Original& original, const json& index) {
  fuzz::UnsealedArchive parts = original.parts;
  parts.index_json = index.dump();
  // nlohmann cannot write invalid UTF-8: a placeholder stands for it in the text.
  const std::string placeholder = "@invalid-utf8@";
  if (const auto at = parts.index_json.find(placeholder); at != std::string::npos)
    parts.index_json.replace(at, placeholder.size(), "\xff\xfe");
  return fuzz::seal(parts);
}

const json kHostileNumbers[] = {0,
                                1,
                                -1,
                                2,
                                63,
                                64,
                                255,
                                256,
                                65535,
                                65536,
                                2147483647,
                                2147483648LL,
                                4294967295LL,
                                4294967296LL,
                                9223372036854775807LL,
                                18446744073709551615ULL,
                                1e300,
                                -1e300,
                                0.5,
                                1.0,
                                "17",
                                nullptr,
                                json::array(),
                                json::object(),
                                true};
const char* const kHostileStrings[] = {"",
                                       "a\nb",
                                       "x\x01y",
                                       "@invalid-utf8@",
                                       "../../etc/passwd",
                                       "liver",
                                       "medmask-cm1",
                                       "zstd",
                                       "uint32",
                                       "bool",
                                       "g",
                                       "0000000000000000",
                                       "zzzzzzzzzzzzzzzz"};

enum Kind {
  kTruncateBoundary,
  kTruncateRandom,
  kFlipBits,
  kOverwrite,
  kSwapChunks,
  kDuplicateChunk,
  kSealedNumber,
  kSealedString,
  kSealedDelete,
  kSealedDuplicate,
  kSealedDataMove,
  kSealedDataFlip,
  kKinds
};

Case make_case(const Original& original, std::uint64_t number) {
  std::mt19937_64 random(number * 0x9E3779B97F4A7C15ULL + 1);
  const auto pick = [&](std::size_t n) { return static_cast<std::size_t>(random() % n); };
  const Bytes& bytes = original.bytes;
  Case out;
  out.bytes = bytes;
  const auto kind = static_cast<Kind>(number % kKinds);
  switch (kind) {
    case kTruncateBoundary: {
      const std::uint64_t at = original.boundaries[pick(original.boundaries.size())];
      const std::uint64_t size =
          std::min<std::uint64_t>(bytes.size() - 1, at + pick(3) - std::min<std::uint64_t>(at, 1));
      out.bytes.resize(size);
      out.what = "truncated to " + std::to_string(size) + " bytes (a section boundary)";
      break;
    }
    case kTruncateRandom:
      out.bytes.resize(pick(bytes.size()));
      out.what = "truncated to " + std::to_string(out.bytes.size()) + " bytes";
      break;
    case kFlipBits: {
      const Section section = original.sections[pick(original.sections.size())];
      const std::size_t flips = 1 + pick(8);
      for (std::size_t i = 0; i < flips; ++i)
        out.bytes[section.begin + pick(section.end - section.begin)] ^=
            static_cast<std::uint8_t>(1u << pick(8));
      out.what = std::to_string(flips) + " bits flipped in [" + std::to_string(section.begin) +
                 ", " + std::to_string(section.end) + ")";
      break;
    }
    case kOverwrite: {
      const std::size_t begin = pick(bytes.size()),
                        length = 1 + pick(std::min<std::size_t>(16, bytes.size() - begin));
      for (std::size_t i = 0; i < length; ++i)
        out.bytes[begin + i] = static_cast<std::uint8_t>(random());
      out.what = std::to_string(length) + " bytes overwritten at " + std::to_string(begin);
      break;
    }
    case kSwapChunks:
    case kDuplicateChunk:
    case kSealedDataMove: {
      const std::vector<Section>& pool =
          original.chunks.size() >= 2 ? original.chunks : original.sections;
      const Section a = pool[pick(pool.size())], b = pool[pick(pool.size())];
      const std::uint64_t length = std::min(a.end - a.begin, b.end - b.begin);
      for (std::uint64_t i = 0; i < length; ++i) {
        if (kind == kDuplicateChunk) {
          out.bytes[b.begin + i] = bytes[a.begin + i];
        } else {
          std::swap(out.bytes[a.begin + i], out.bytes[b.begin + i]);
        }
      }
      out.what =
          std::string(kind == kDuplicateChunk ? "chunk copied over another" : "chunks swapped") +
          " (" + std::to_string(length) + " bytes at " + std::to_string(a.begin) + " and " +
          std::to_string(b.begin) + ")";
      if (kind == kSealedDataMove) {
        fuzz::UnsealedArchive parts = original.parts;
        parts.data.assign(out.bytes.begin() + 64,
                          out.bytes.begin() + 64 + static_cast<std::ptrdiff_t>(parts.data.size()));
        out.bytes = fuzz::seal(parts);
        out.sealed = true;
        out.what = "sealed: " + out.what;
      }
      break;
    }
    case kSealedDataFlip: {
      fuzz::UnsealedArchive parts = original.parts;
      const std::size_t flips = 1 + pick(4);
      for (std::size_t i = 0; i < flips; ++i)
        parts.data[pick(parts.data.size())] ^= static_cast<std::uint8_t>(1u << pick(8));
      out.bytes = fuzz::seal(parts);
      out.sealed = true;
      out.what = "sealed: " + std::to_string(flips) + " bits flipped in the data";
      break;
    }
    case kSealedNumber:
    case kSealedString:
    case kSealedDelete:
    case kSealedDuplicate: {
      json index = json::parse(original.parts.index_json);
      std::vector<json::json_pointer> numbers, strings, arrays, all;
      collect(index, json::json_pointer(), &numbers, &strings, &arrays, &all);
      if (kind == kSealedNumber) {
        const auto at = numbers[pick(numbers.size())];
        const json& value = kHostileNumbers[pick(std::size(kHostileNumbers))];
        index[at] = value;
        out.what = "sealed: " + at.to_string() + " = " + value.dump();
      } else if (kind == kSealedString) {
        const auto at = strings[pick(strings.size())];
        const std::string value = kHostileStrings[pick(std::size(kHostileStrings))];
        index[at] = value;
        out.what = "sealed: " + at.to_string() + " = " + json(value).dump();
      } else if (kind == kSealedDelete) {
        const auto at = all[pick(all.size())];
        json& parent = index.at(at.parent_pointer());
        if (parent.is_array()) {
          parent.erase(std::stoul(at.back()));
        } else {
          parent.erase(at.back());
        }
        out.what = "sealed: " + at.to_string() + " removed";
      } else {
        const auto at = arrays[pick(arrays.size())];
        json& array = index.at(at);
        if (!array.empty()) array.push_back(array[pick(array.size())]);
        out.what = "sealed: an item of " + at.to_string() + " duplicated";
      }
      out.bytes = sealed_with(original, index);
      out.sealed = true;
      break;
    }
    case kKinds:
      break;
  }
  return out;
}

// How the cases ended, for the figures in SECURITY.md.
struct Outcomes {
  std::uint64_t open_refused = 0, read_refused = 0, read_fine = 0;
  std::map<std::string, std::uint64_t> by_message;  // first words of each error
};
Outcomes outcomes;

void count_error(const Error& e, bool at_open) {
  ++(at_open ? outcomes.open_refused : outcomes.read_refused);
  std::string message = e.what();
  if (const auto colon = message.find(": "); colon != std::string::npos)
    message = message.substr(colon + 2);
  ++outcomes.by_message[message.substr(0, 40)];
}

// Runs one case; returns an empty string when it behaved, else what went wrong.
// refused: set when opening, reading some structure or verify_data gave an error (the CLI's verify
// must then exit 1, and 0 otherwise).
std::string run_case(const Original& original, const Case& c, const std::string& path,
                     bool* refused) {
  write_bytes(path, c.bytes);
  std::string problem;
  *refused = false;
  Shape3 grid{};
  const auto check = [&](const std::string& what, const LabelVolume& got, const LabelVolume* want) {
    if (got.shape_zyx() != grid)
      problem += what + ": not the grid's shape; ";
    else if (!c.sealed && want != nullptr && !got.equals(*want))
      problem += what + ": a different array without an error; ";
  };
  try {
    const MaskArchive archive(path, OpenMode::kRead);
    grid = archive.space().shape_zyx();
    const std::vector<StructureInfo> infos = archive.structures();
    std::vector<std::string> names;
    for (const StructureInfo& info : infos) names.push_back(info.name);
    if (!c.sealed && names != original.names)
      problem += "structure list changed without an error; ";
    if (fuzz::too_large_to_decode(archive.space())) {
      *refused = true;  // not decoded here; verify may refuse it or run long
      return problem;
    }
    for (const std::string& name : names) {
      try {
        const auto found = original.reads.find(name);
        check(name, archive.read_structure(name),
              found == original.reads.end() ? nullptr : &found->second);
      } catch (const Error& e) {
        *refused = true;
        count_error(e, false);
      }
    }
    for (const std::string& entry : archive.entry_names()) {
      try {
        const auto found = original.entries.find(entry);
        check("entry " + entry, archive.load_mask(entry).volume(),
              found == original.entries.end() ? nullptr : &found->second);
      } catch (const Error& e) {
        count_error(e, false);
      }
    }
    try {
      const std::vector<LabelVolume> all = archive.read_each(names);
      for (std::size_t i = 0; i < all.size(); ++i) {
        const auto found = original.reads.find(names[i]);
        check("read_each " + names[i], all[i],
              found == original.reads.end() ? nullptr : &found->second);
      }
      ++outcomes.read_fine;
    } catch (const Error& e) {
      count_error(e, false);
    }
    try {
      archive.verify_data();  // also the chunks outside every bounding box, which reads skip
    } catch (const Error& e) {
      *refused = true;
      count_error(e, false);
    }
  } catch (const Error& e) {
    *refused = true;
    count_error(e, true);
  } catch (const std::exception& e) {
    problem += std::string("untyped exception: ") + e.what();
  }
  return problem;
}

#ifdef MEDMASK_CLI_PATH
// `medmask verify` on the case: exit 1 when the library refused it, 0 when it read everything.
std::string cli_verify(const std::string& path, bool refused) {
  const std::string command =
      std::string("'") + MEDMASK_CLI_PATH + "' verify '" + path + "' > /dev/null 2>&1";
  const int status = std::system(command.c_str());
  if (!WIFEXITED(status)) return "medmask verify did not exit normally (a crash?)";
  const int code = WEXITSTATUS(status);
  if (code != (refused ? 1 : 0))
    return "medmask verify exited " + std::to_string(code) + ", expected " + (refused ? "1" : "0");
  return {};
}
#endif

std::uint64_t env_number(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text != nullptr && *text != '\0' ? std::stoull(text) : fallback;
}

TEST(CorruptSuite, EveryCaseGivesATypedErrorOrTheOriginalArrays) {
  TempDir dir;
  std::vector<Original> originals;
  for (const fuzz::SampleLayout& layout : fuzz::sample_layouts()) {
    const std::string path = dir.file(std::string(layout.name) + ".mska");
    fuzz::write_sample_archive(path, layout);
    originals.push_back(make_original(layout.name, read_bytes(path), dir.file("original.mska")));
  }
  for (const char* golden : {"tiny.mska", "groups_cm1.mska", "groups_zstd.mska"})
    originals.push_back(make_original(
        golden, read_bytes(std::string("tests/data/golden/") + golden), dir.file("original.mska")));

  const std::uint64_t cases = env_number("MEDMASK_CORRUPT_CASES", 500);
  const std::uint64_t first = env_number("MEDMASK_CORRUPT_FIRST", 0);
  std::size_t failures = 0, typed_or_equal = 0;
  for (std::uint64_t n = first; n < first + cases; ++n) {
    const Original& original = originals[n % originals.size()];
    const Case c = make_case(original, n / originals.size());
    bool refused = false;
    std::string problem = run_case(original, c, dir.file("case.mska"), &refused);
#ifdef MEDMASK_CLI_PATH
    if (n % 25 == 0 && problem.empty()) problem = cli_verify(dir.file("case.mska"), refused);
#endif
    if (problem.empty()) {
      ++typed_or_equal;
      continue;
    }
    ADD_FAILURE() << "case " << n << " (" << original.name << ", " << c.what << "): " << problem;
    if (++failures == 20) break;
  }
  std::cout << "corrupt cases run: " << cases << ", behaved: " << typed_or_equal
            << "; refused on open: " << outcomes.open_refused
            << ", reads refused: " << outcomes.read_refused
            << ", read_each of all names fine: " << outcomes.read_fine << '\n';
  if (env_number("MEDMASK_CORRUPT_VERBOSE", 0) != 0)
    for (const auto& [message, count] : outcomes.by_message)
      std::cout << count << "\t" << message << '\n';
}

}  // namespace
}  // namespace medmask::testing
