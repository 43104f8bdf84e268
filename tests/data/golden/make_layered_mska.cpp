// Writes the format 1.3 test vector layered_tiles.mska (a layer coded against an earlier layer,
// FORMAT.md 4.3.3, 5.3.1), or the file named by its argument (layered_edges_tiles.mska: the same
// case, written since stream mode 5), with the public C++ API, and layered_expected.json: what it
// must decode to and the reference FORMAT.md 5.3.1's writer rule gives, worked out by hand from the
// boxes below (never from reading the file back). Not part of the build; PROVENANCE.md has the
// command.
//
// Grid 12 x 10 x 6 (x, y, z), arrays (z, y, x); tiles of 3 slices, 5 rows, 6 columns (2 x 2 x 2).
// aorta (288 voxels) and kidney (8) go to layer0 as values 1 and 2. aorta_model2 is the aorta
// plus one row of 8 voxels on slices 2 and 3 (304 voxels): 288 of them (95 %) are taken in
// layer0, so it goes whole to layer1 as value 1, which layer0's value 1 predicts for 288 voxels
// (>= 64): layer1 is coded against layer0 with map [[1, 1]] (kidney's value 2 meets only 0 in
// layer1 and is left out). The 4 tiles of layer1 that the extra row does not meet (0, 1, 4, 5)
// equal their prediction and are stored empty.
#include <array>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "medmask/archive.hpp"

namespace {

using Box = std::array<std::int64_t, 6>;  // z0, y0, x0, z1, y1, x1, inclusive
const medmask::Shape3 kShapeZyx{6, 10, 12};

struct Structure {
  std::string name;
  std::string entry;
  std::uint32_t value;
  std::vector<Box> boxes;
};

std::vector<Structure> structures() {
  return {{"aorta", "layer0", 1, {{0, 2, 2, 5, 7, 9}}},
          {"kidney", "layer0", 2, {{0, 8, 0, 1, 9, 1}}},
          {"aorta_model2", "layer1", 1, {{0, 2, 2, 5, 7, 9}, {2, 8, 2, 3, 8, 9}}}};
}

medmask::LabelVolume mask_of(const std::vector<Box>& boxes) {
  medmask::LabelVolume volume(medmask::DType::kBool, kShapeZyx);
  for (const Box& b : boxes)
    for (std::int64_t z = b[0]; z <= b[3]; ++z)
      for (std::int64_t y = b[1]; y <= b[4]; ++y)
        for (std::int64_t x = b[2]; x <= b[5]; ++x)
          volume.set(static_cast<std::size_t>((z * kShapeZyx[1] + y) * kShapeZyx[2] + x), 1);
  return volume;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string file = argc > 1 ? argv[1] : "layered_tiles.mska";
  medmask::WriteOptions tiles;  // coding medmask-cm1-tiles, level default
  tiles.chunk_depth = 3;
  tiles.tile_size = 6;  // rows: 2 tiles of 5; columns: 2 of 6
  // Shared label maps, the writer's default when layered_tiles.mska was recorded (2026-12-04).
  tiles.layer_per_structure = false;
  const medmask::Space space({12, 10, 6}, {-20.0, 15.5, 80.0}, {0.75, 0.8, 2.0},
                             medmask::Mat3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}});
  {
    medmask::MaskArchive archive(file, medmask::OpenMode::kWrite, space, tiles);
    for (const Structure& s : structures()) {
      archive.add_structure(s.name, mask_of(s.boxes), medmask::Label{s.name, s.value, {}, {}, {}});
    }
  }
  nlohmann::json out{{"version", {1, 3}},
                     {"required_features", 6},  // bit 1: index dictionary; bit 2: reference
                     {"shape_zyx", kShapeZyx},
                     {"chunk_depth", 3},
                     {"tile_yx", {5, 6}},
                     {"references", {{"layer1", {{"entry", "layer0"}, {"map", {{1, 1}}}}}}},
                     {"empty_tiles", {{"layer1", {0, 1, 4, 5}}}}};
  for (const Structure& s : structures()) {
    out["structures"].push_back(
        {{"name", s.name}, {"entry", s.entry}, {"value", s.value}, {"boxes_zyx", s.boxes}});
  }
  std::ofstream("layered_expected.json") << out.dump(1) << "\n";
  std::cout << "wrote " << file << ", layered_expected.json\n";
  return 0;
}
