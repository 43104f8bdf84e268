// container/layer_reference.hpp: a layer coded against an earlier layer (FORMAT.md 4.3.3, 5.3.1).
// Each tile of such a layer is predicted from the same tile of its reference layer, its values
// translated by a map; the codec then codes only what differs (Appendix A.5.5). Two models'
// aortas, a lobe beside a nearly equal lobe: a near-copy costs a tenth of storing it alone.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "container/cm_section.hpp"
#include "container/index_json.hpp"
#include "container/slab.hpp"
#include "medmask/volume.hpp"

namespace medmask::container {

// The prediction of a unit (its box in the grid, unit.shape_zyx voxels of dtype) from the voxels
// of the reference a slab holds: map(reference voxel), 0 where the map has no entry for it and
// outside the slab.
LabelVolume predict_unit(const Slab& reference, const LayerReference& ref, DType dtype,
                         const UnitBox& unit);

// The prediction of the whole grid from the reference layer's volume.
LabelVolume predict_volume(const LabelVolume& reference, const LayerReference& ref, DType dtype);

// The box covering every value of a layer's index stats, clipped to the grid, with their voxel
// count; nothing when no value has a voxel in the grid.
std::optional<LabelStats> labelled_box(const std::map<std::uint32_t, LabelStats>& stats,
                                       const Shape3& shape);

// A candidate reference for the writer: an earlier layer's name, voxels and statistics.
struct ReferenceCandidate {
  std::string entry;
  const LabelVolume* volume = nullptr;
  const std::map<std::uint32_t, LabelStats>* stats = nullptr;  // its index stats: voxels per value
  std::uint32_t chunk_depth = 0, tile_y = 0, tile_x = 0;  // its tiles, which must be the layer's
};

// Fewer predicted voxels than this are not worth a reference (FORMAT.md 5.3.1).
inline constexpr std::uint64_t kMinPredictedVoxels = 64;

// The writer's choice of reference for a layer: the candidate whose labels predict the most of
// the layer's labelled voxels, each candidate value mapped to the layer value it meets most;
// nothing when no candidate predicts at least min_voxels of them. layer_stats: the layer's index
// stats, whose boxes bound where it is labelled.
std::optional<LayerReference> choose_reference(
    const LabelVolume& layer, const std::map<std::uint32_t, LabelStats>& layer_stats,
    const std::vector<ReferenceCandidate>& candidates,
    std::uint64_t min_voxels = kMinPredictedVoxels);

}  // namespace medmask::container
