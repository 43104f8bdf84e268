// container/structure_packing.hpp: how the writer places structures into exclusive label maps
// ("layers", FORMAT.md 10.2). A structure is kept as runs of inside voxels; it goes whole into
// the first layer it (nearly) fits, and only the voxels that overlap what is already there go on
// to later layers, so overlap costs only where it exists.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "core/voxel_runs.hpp"
#include "medmask/mask.hpp"
#include "medmask/volume.hpp"

namespace medmask::container {

// Splits runs into the voxels where layer is 0 (free) and where it is not (taken).
void split_by_occupancy(const LabelVolume& layer, const detail::Runs& runs, detail::Runs& free,
                        detail::Runs& taken);

// One piece of a placed structure: the runs that go into layer `layer`.
struct Placement {
  std::size_t layer = 0;  // may equal layers.size(): a new layer is needed
  detail::Runs runs;
};

// A structure goes into the first layer where at most kMaxSplitFraction of its voxels are taken;
// those taken voxels are placed the same way in the following layers. Splitting costs little
// when the overlap is small (the 21 shared voxels of two muscles) but a structure lying mostly on
// others (a whole lung over its lobes) is better coded whole in a layer of its own.
inline constexpr double kMaxSplitFraction = 0.05;
// A near-copy of one stored structure (a second model's aorta, a corrected organ: at least this
// fraction of its voxels on that structure, covering at least this fraction of it) that the rule
// above would split, with a piece in a new layer, goes whole into the new layer instead: one part,
// coded against the layer of the structure it copies (FORMAT.md 5.3.1).
inline constexpr double kNearCopyFraction = 0.9;

// own_layer (WriteOptions::layer_per_structure): a non-empty structure goes whole into a new
// layer instead.
std::vector<Placement> place_structure(const std::vector<const LabelVolume*>& layers,
                                       const detail::Runs& runs, bool own_layer = false);

// Union recognition: the stored parts of one layer, by value: (structure id, voxels of the part).
struct LayerParts {
  const LabelVolume* volume = nullptr;
  std::map<std::uint32_t, std::pair<std::size_t, std::uint64_t>> parts;
};

// The ids of stored structures whose union is exactly the voxels of runs, or nothing.
// parts_per_structure[id] counts the non-empty parts of structure id: a structure counts only
// when all its parts lie inside runs; then every voxel of runs must be covered by one of them.
std::vector<std::size_t> find_union_of_stored(const std::vector<LayerParts>& layers,
                                              const std::vector<std::size_t>& parts_per_structure,
                                              const detail::Runs& runs);

}  // namespace medmask::container
