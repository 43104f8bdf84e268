// Writes the format 1.2 test vectors groups_zstd.mska and groups_cm1.mska with the public C++ API,
// and groups_expected.json: what they must decode to, taken from how the masks below are built
// (never from reading the files back). Not part of the build; PROVENANCE.md has the command.
// With the argument `1.3` it writes the format 1.3 vectors unions_zstd.mska, unions_cm1.mska,
// unions_tiles.mska and unions_expected.json instead: the same content, but the recognised union
// (kidneys) is given first, before its members, so the writer recognises it at commit (FORMAT.md
// 10.2) and lists it after the defined group, with "recognised": true; unions_tiles.mska codes
// the layers "medmask-cm1-tiles" (FORMAT.md 5.3).
//
// Every structure is a union of boxes, listed per part: the entry and value FORMAT.md 10.2
// predicts for it, worked out by hand. The grid is 7 x 6 x 5 (x, y, z), arrays (z, y, x).
#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medmask/archive.hpp"

namespace {

using medmask::Label;
using medmask::LabelVolume;
using Box = std::array<int, 6>;  // z0, y0, x0, z1, y1, x1, inclusive

struct Part {
  std::string entry;
  std::uint32_t value = 0;
  std::vector<Box> boxes;
};

struct Structure {
  Label label;  // label.value: the value requested from add_structure
  std::vector<Part> parts;
};

const medmask::Shape3 kShapeZyx{5, 6, 7};

// liver 60 voxels; spleen 62, of which 2 (3 %) lie on the liver: packed into layer0 with the other
// 60, the 2 go to a new layer1 (a split structure, required feature bit 0) as value 1 (the writer
// gives a later part the smallest free value, not the requested 2: see PROVENANCE.md); tumor lies
// wholly on the liver, so it goes whole to layer1 with its requested value 2.
// kidney_right's value 300 widens layer0 to uint16.
std::vector<Structure> structures() {
  return {
      {Label{"liver", 1, medmask::Rgb{221, 130, 101}, "liver, drawn as a box",
             medmask::CodedConcept{"SCT", "10200004", "Liver"}},
       {{"layer0", 1, {{0, 0, 0, 4, 2, 3}}}}},
      {Label{"spleen", 2, {}, {}, {}},
       {{"layer0", 2, {{0, 3, 3, 4, 5, 6}}}, {"layer1", 1, {{1, 2, 3, 2, 2, 3}}}}},
      {Label{"tumor", 2, {}, {}, {}}, {{"layer1", 2, {{1, 1, 1, 2, 2, 2}}}}},
      {Label{"empty_structure", 7, {}, {}, {}}, {{"layer0", 7, {}}}},
      {Label{"kidney_left", 10, {}, {}, {}}, {{"layer0", 10, {{0, 4, 0, 1, 5, 1}}}}},
      {Label{"kidney_right", 300, {}, {}, {}}, {{"layer0", 300, {{3, 4, 0, 4, 5, 1}}}}},
  };
}

struct Group {
  Label label;
  std::vector<std::string> members;
  bool recognised = false;  // written with add_structure (the union of its members' voxels)
};

std::vector<Group> groups() {
  return {
      {Label{"kidneys", 0, {}, "both kidneys", {}}, {"kidney_left", "kidney_right"}, true},
      {Label{"abdomen", 0, medmask::Rgb{10, 20, 30}, "kidneys and spleen", {}},
       {"kidneys", "spleen"},
       false},
  };
}

void paint(LabelVolume& volume, const Box& box) {
  for (int z = box[0]; z <= box[3]; ++z) {
    for (int y = box[1]; y <= box[4]; ++y) {
      for (int x = box[2]; x <= box[5]; ++x) {
        volume.set(static_cast<std::size_t>((z * kShapeZyx[1] + y) * kShapeZyx[2] + x), 1);
      }
    }
  }
}

LabelVolume mask_of(const std::vector<Box>& boxes) {
  LabelVolume volume(medmask::DType::kBool, kShapeZyx);
  for (const Box& box : boxes) paint(volume, box);
  return volume;
}

// Voxel count and inclusive (z, y, x) box, counted here rather than by the library.
nlohmann::json stats_of(const LabelVolume& volume) {
  std::uint64_t voxels = 0;
  std::array<std::int64_t, 3> low{99, 99, 99}, high{-1, -1, -1};
  for (std::int64_t z = 0; z < kShapeZyx[0]; ++z) {
    for (std::int64_t y = 0; y < kShapeZyx[1]; ++y) {
      for (std::int64_t x = 0; x < kShapeZyx[2]; ++x) {
        if (volume.get(static_cast<std::size_t>((z * kShapeZyx[1] + y) * kShapeZyx[2] + x)) == 0) {
          continue;
        }
        ++voxels;
        const std::array<std::int64_t, 3> zyx{z, y, x};
        for (int a = 0; a < 3; ++a) {
          low[a] = std::min(low[a], zyx[a]);
          high[a] = std::max(high[a], zyx[a]);
        }
      }
    }
  }
  if (voxels == 0) return {{"voxels", 0}};
  return {{"voxels", voxels}, {"bbox_min_zyx", low}, {"bbox_max_zyx", high}};
}

nlohmann::json label_json(const Label& label) {
  nlohmann::json out{{"name", label.name}, {"description", label.description}};
  if (label.color) out["color"] = {label.color->r, label.color->g, label.color->b};
  if (label.concept_code) {
    out["concept"] = {{"scheme", label.concept_code->scheme},
                      {"code", label.concept_code->code},
                      {"meaning", label.concept_code->meaning}};
  }
  return out;
}

std::vector<Box> all_boxes(const Structure& structure) {
  std::vector<Box> boxes;
  for (const Part& part : structure.parts)
    boxes.insert(boxes.end(), part.boxes.begin(), part.boxes.end());
  return boxes;
}

// The structures a group stands for, nested groups expanded.
std::vector<Box> boxes_of(const std::string& name) {
  for (const Structure& s : structures()) {
    if (s.label.name == name) return all_boxes(s);
  }
  std::vector<Box> boxes;
  for (const Group& g : groups()) {
    if (g.label.name != name) continue;
    for (const std::string& member : g.members) {
      const std::vector<Box> more = boxes_of(member);
      boxes.insert(boxes.end(), more.begin(), more.end());
    }
  }
  return boxes;
}

medmask::Space oblique_space() {
  // Direction columns (2,2,-1)/3, (-1,2,2)/3, (2,-1,2)/3: orthonormal, oblique to every LPS axis.
  const double a = 2.0 / 3.0, b = 1.0 / 3.0;
  return medmask::Space({7, 6, 5}, {-12.5, 30.25, 101.0}, {0.8, 0.9, 2.5},
                        medmask::Mat3{{{a, -b, a}, {a, a, -b}, {-b, a, a}}});
}

bool g_union_first = false;  // format 1.3 vectors: the recognised union comes first

// The groups in the order the file lists them.
std::vector<Group> listed_groups() {
  std::vector<Group> out = groups();
  if (g_union_first)
    std::stable_partition(out.begin(), out.end(), [](const Group& g) { return !g.recognised; });
  return out;
}

void write_archive(const std::string& path, const medmask::WriteOptions& options) {
  medmask::MaskArchive archive(path, medmask::OpenMode::kWrite, oblique_space(), options);
  if (g_union_first) {
    for (const Group& g : groups()) {
      if (g.recognised)
        archive.add_structure(g.label.name, mask_of(boxes_of(g.label.name)), g.label);
    }
  }
  for (const Structure& s : structures()) {
    archive.add_structure(s.label.name, mask_of(all_boxes(s)), s.label);
  }
  for (const Group& g : groups()) {
    if (g.recognised && g_union_first) continue;
    if (g.recognised) {
      archive.add_structure(g.label.name, mask_of(boxes_of(g.label.name)), g.label);
    } else {
      archive.add_group(g.label.name, g.members, g.label);
    }
  }
  archive.commit();
}

nlohmann::json expected_json(const medmask::WriteOptions& cm1, const medmask::WriteOptions& tiles) {
  const medmask::Space space = oblique_space();
  nlohmann::json columns = nlohmann::json::array();
  for (int c = 0; c < 3; ++c) {
    columns.push_back({space.direction()[0][c], space.direction()[1][c], space.direction()[2][c]});
  }
  nlohmann::json out{
      {"version", {1, g_union_first ? 3 : 2}},
      {"required_features", 3},  // bit 0: spleen is split; bit 1: index dictionary
      {"space",
       {{"shape_xyz", space.shape_xyz()},
        {"origin_lps", space.origin_lps()},
        {"spacing_mm", space.spacing_mm()},
        {"direction_columns", columns}}},
      {"files",
       {{g_union_first ? "unions_zstd.mska" : "groups_zstd.mska", {{"coding", "zstd"}}},
        {g_union_first ? "unions_cm1.mska" : "groups_cm1.mska",
         {{"coding", "medmask-cm1"}, {"chunk_depth", cm1.chunk_depth}}}}},
      {"entries",
       {{{"name", "layer0"}, {"kind", "layer"}, {"dtype", "uint16"}},
        {{"name", "layer1"}, {"kind", "layer"}, {"dtype", "uint8"}}}}};
  if (g_union_first) {
    out["files"]["unions_tiles.mska"] = {
        {"coding", "medmask-cm1-tiles"}, {"chunk_depth", tiles.chunk_depth}, {"tile_yx", {3, 4}}};
  }
  for (const Structure& s : structures()) {
    nlohmann::json item = label_json(s.label);
    item["boxes_zyx"] = all_boxes(s);
    item["stats"] = stats_of(mask_of(all_boxes(s)));
    for (const Part& part : s.parts) {
      item["parts"].push_back({{"entry", part.entry},
                               {"value", part.value},
                               {"boxes_zyx", part.boxes},
                               {"stats", stats_of(mask_of(part.boxes))}});
    }
    out["structures"].push_back(item);
  }
  for (const Group& g : listed_groups()) {
    nlohmann::json item = label_json(g.label);
    item["members"] = g.members;
    item["recognised_union"] = g.recognised;
    item["stats"] = stats_of(mask_of(boxes_of(g.label.name)));
    out["groups"].push_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  g_union_first = argc > 1 && std::string(argv[1]) == "1.3";
  medmask::WriteOptions zstd;
  zstd.coding = medmask::Coding::kZstd;
  medmask::WriteOptions cm1;  // coding medmask-cm1, level default
  cm1.coding = medmask::Coding::kMedmaskCm;
  cm1.chunk_depth = 2;          // three chunks of 2, 2 and 1 slices
  medmask::WriteOptions tiles;  // coding medmask-cm1-tiles (since 1.3), level default
  tiles.chunk_depth = 2;        // 3 x 2 x 2 tiles: slices 2, 2, 1; rows 3, 3; columns 4, 3
  tiles.tile_size = 4;
  const std::string stem = g_union_first ? "unions" : "groups";
  write_archive(stem + "_zstd.mska", zstd);
  write_archive(stem + "_cm1.mska", cm1);
  if (g_union_first) write_archive(stem + "_tiles.mska", tiles);
  std::ofstream(stem + "_expected.json") << expected_json(cm1, tiles).dump(1) << "\n";
  std::cout << "wrote " << stem << "_zstd.mska, " << stem << "_cm1.mska, "
            << (g_union_first ? stem + "_tiles.mska, " : "") << stem << "_expected.json\n";
  return 0;
}
