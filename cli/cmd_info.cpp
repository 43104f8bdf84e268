// cli/cmd_info.cpp: `medmask info`: what an archive holds, read from its index (no voxel data).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "medmask/archive.hpp"
#include "medmask/space_json.hpp"
#include "text.hpp"

namespace medmask::cli {
namespace {

struct InfoOptions {
  std::string archive;
  bool json = false;
  bool overlaps = false;
};

bool is_empty(const StructureInfo& s) { return s.stats.voxels == 0; }

// The index's own spelling of the Space (direction_columns), so that a reader of `info --json`
// and of the index meets one spelling, plus the handedness for people.
nlohmann::ordered_json space_json(const Space& space) {
  nlohmann::ordered_json out = nlohmann::ordered_json::parse(space_to_index_json(space));
  out["handedness"] = static_cast<int>(space.handedness());
  return out;
}

nlohmann::ordered_json structure_json(const StructureInfo& s) {
  nlohmann::ordered_json out = {{"name", s.name},
                                {"value", s.value},
                                {"entry", s.entry},
                                {"voxels", s.stats.voxels},
                                {"volume_ml", s.volume_mm3 / 1000.0}};
  if (is_empty(s)) {
    out["bbox_min_zyx"] = nullptr;
    out["bbox_max_zyx"] = nullptr;
  } else {
    out["bbox_min_zyx"] = s.stats.bbox_min_zyx;
    out["bbox_max_zyx"] = s.stats.bbox_max_zyx;
  }
  if (s.is_group()) {
    out["members"] = s.members;
  } else {
    nlohmann::ordered_json parts = nlohmann::ordered_json::array();
    for (const StructurePart& part : s.parts) {
      parts.push_back(
          {{"entry", part.entry}, {"value", part.value}, {"voxels", part.stats.voxels}});
    }
    out["parts"] = std::move(parts);
  }
  return out;
}

// Where a structure is stored: its entry, "layer0+layer1" when split, "group" for a group.
std::string where_text(const StructureInfo& s) {
  if (s.is_group()) return "(group)";
  std::string out;
  for (const StructurePart& part : s.parts) out += (out.empty() ? "" : "+") + part.entry;
  return out;
}

std::string members_text(const std::vector<std::string>& members) {
  std::string out;
  const std::size_t shown = std::min<std::size_t>(members.size(), 6);
  for (std::size_t i = 0; i < shown; ++i) out += (i ? ", " : "") + members[i];
  if (members.size() > shown) out += ", ... (" + std::to_string(members.size()) + " in all)";
  return out;
}

// Per entry: how it is stored (coding, codec level, bytes in the file).
nlohmann::ordered_json entries_json(const MaskArchive& archive) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const EntryInfo& e : archive.entries()) {
    list.push_back({{"name", e.name},
                    {"dtype", std::string(dtype_name(e.dtype))},
                    {"coding", e.coding_name},
                    {"level", e.level ? nlohmann::ordered_json(compression_level_name(*e.level))
                                      : nlohmann::ordered_json()},
                    {"stored_bytes", e.stored_bytes},
                    {"reference", e.reference.empty() ? nlohmann::ordered_json()
                                                      : nlohmann::ordered_json(e.reference)}});
  }
  return list;
}

void print_json(const MaskArchive& archive, const std::vector<StructureInfo>& structures,
                std::size_t non_empty) {
  nlohmann::ordered_json list = nlohmann::ordered_json::array();
  for (const StructureInfo& s : structures) list.push_back(structure_json(s));
  const nlohmann::ordered_json out = {{"path", archive.path()},
                                      {"space", space_json(archive.space())},
                                      {"entries", archive.entry_names()},
                                      {"entry_details", entries_json(archive)},
                                      {"structures", list},
                                      {"counts",
                                       {{"structures", structures.size()},
                                        {"non_empty", non_empty},
                                        {"empty", structures.size() - non_empty}}}};
  std::cout << out.dump(2) << '\n';
}

std::string bbox_text(const StructureInfo& s) {
  if (is_empty(s)) return "-";
  std::string out;
  for (std::size_t axis = 0; axis < 3; ++axis) {
    if (axis > 0) out += ", ";
    out += std::to_string(s.stats.bbox_min_zyx[axis]) + ".." +
           std::to_string(s.stats.bbox_max_zyx[axis]);
  }
  return out;
}

void print_text(const MaskArchive& archive, const std::vector<StructureInfo>& structures,
                std::size_t non_empty, bool show_overlaps) {
  const Space& space = archive.space();
  const Shape3& shape = space.shape_xyz();
  std::cout << archive.path() << '\n';
  std::cout << "space (LPS mm, x y z order)\n";
  std::cout << "  shape      " << shape[0] << " x " << shape[1] << " x " << shape[2] << '\n';
  std::cout << "  spacing    " << triple(space.spacing_mm(), 6) << " mm\n";
  std::cout << "  origin     " << triple(space.origin_lps(), 4) << " mm\n";
  const Mat3& d = space.direction();
  for (std::size_t col = 0; col < 3; ++col) {
    std::cout << "  direction "
              << "ijk"[col] << ' ' << triple({d[0][col], d[1][col], d[2][col]}, 6) << '\n';
  }
  std::cout << "  handedness " << (space.handedness() > 0 ? "right (+1)" : "left (-1)") << '\n';

  const std::vector<EntryInfo> entries = archive.entries();
  std::cout << "entries: " << entries.size() << '\n';
  std::size_t entry_name_width = 4;
  for (const EntryInfo& e : entries) entry_name_width = std::max(entry_name_width, e.name.size());
  for (const EntryInfo& e : entries) {
    const std::string coding =
        e.level ? e.coding_name + " (" + std::string(compression_level_name(*e.level)) + ")"
                : e.coding_name;
    std::cout << "  " << left(e.name, entry_name_width) << "  "
              << left(std::string(dtype_name(e.dtype)), 6) << "  " << left(coding, 21)
              << right(with_commas(e.stored_bytes), 12) << " bytes"
              << (e.reference.empty() ? "" : ", coded against " + e.reference) << '\n';
  }
  std::cout << "structures: " << structures.size() << " (" << non_empty << " non-empty, "
            << structures.size() - non_empty << " empty)\n\n";

  std::size_t name_width = 4, entry_width = 5;
  for (const StructureInfo& s : structures) {
    name_width = std::max(name_width, s.name.size());
    entry_width = std::max(entry_width, where_text(s).size());
  }
  std::cout << left("name", name_width) << right("value", 7) << "  " << left("entry", entry_width)
            << right("voxels", 12) << right("volume mL", 12) << "  bbox z, y, x (inclusive)\n";
  for (const StructureInfo& s : structures) {
    std::cout << left(s.name, name_width) << right(std::to_string(s.value), 7) << "  "
              << left(where_text(s), entry_width) << right(with_commas(s.stats.voxels), 12)
              << right(fixed(s.volume_mm3 / 1000.0, 3), 12) << "  " << bbox_text(s) << '\n';
  }
  bool any_group = false;
  for (const StructureInfo& s : structures) {
    if (!s.is_group()) continue;
    if (!any_group) std::cout << "\ngroups (unions stored as definitions):\n";
    any_group = true;
    std::cout << "  " << s.name << " = " << members_text(s.members) << '\n';
  }
  if (!show_overlaps) return;
  // Structures stored beyond the first layer are the ones that share voxels with others.
  std::cout << "\noverlaps (decoded from the voxels):\n";
  bool any_overlap = false;
  std::set<std::pair<std::string, std::string>> shown;  // each pair once, whichever side finds it
  const std::string first_layer = entries.empty() ? "" : entries.front().name;
  for (const StructureInfo& s : structures) {
    if (s.is_group() || s.stats.voxels == 0) continue;
    const bool beyond_first = std::any_of(s.parts.begin(), s.parts.end(), [&](const auto& part) {
      return part.entry != first_layer && part.stats.voxels > 0;
    });
    if (!beyond_first) continue;
    for (const Overlap& overlap : archive.overlapping(s.name)) {
      if (!shown.emplace(std::min(s.name, overlap.name), std::max(s.name, overlap.name)).second) {
        continue;
      }
      std::cout << "  " << s.name << " & " << overlap.name << ": " << with_commas(overlap.voxels)
                << " voxels\n";
      any_overlap = true;
    }
  }
  if (!any_overlap) std::cout << "  none\n";
}

void run_info(const InfoOptions& options) {
  const MaskArchive archive(options.archive, OpenMode::kRead, std::nullopt, {}, read_limits());
  const std::vector<StructureInfo> structures = archive.structures();
  std::size_t non_empty = 0;
  for (const StructureInfo& s : structures)
    if (!is_empty(s)) ++non_empty;
  if (options.json) {
    print_json(archive, structures, non_empty);
  } else {
    print_text(archive, structures, non_empty, options.overlaps);
  }
}

}  // namespace

void register_info(CLI::App& app) {
  auto options = std::make_shared<InfoOptions>();
  CLI::App* cmd =
      app.add_subcommand("info", "Show the space, entries and structures of an archive");
  cmd->add_option("archive", options->archive, "archive (.mska)")->required();
  cmd->add_flag("--json", options->json, "print JSON instead of text");
  cmd->add_flag("--overlaps", options->overlaps,
                "also list which structures share voxels, and how many (decodes voxels)");
  cmd->callback([options] { run_info(*options); });
}

}  // namespace medmask::cli
