// medmask/mask.hpp: SegmentationMask, a label map with its meaning and its geometry.
//
// A SegmentationMask is one LabelVolume (bool for one structure, or uint8/uint16/uint32 labels),
// a LabelTable naming its values and the Space of its grid. Structures in one mask are mutually
// exclusive; overlapping structures live in several masks (layers) of an archive.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "medmask/label_table.hpp"
#include "medmask/space.hpp"
#include "medmask/volume.hpp"

namespace medmask {

// Voxel count and inclusive bounding box of one label, in array (z, y, x) indices.
struct LabelStats {
  std::uint64_t voxels = 0;
  std::array<std::int64_t, 3> bbox_min_zyx{0, 0, 0};
  std::array<std::int64_t, 3> bbox_max_zyx{-1, -1, -1};  // min > max: empty
  bool operator==(const LabelStats&) const = default;
};

// Statistics of every non-zero value of a volume, in one pass.
std::map<std::uint32_t, LabelStats> compute_label_stats(const LabelVolume& volume);

// What add_label does where an earlier label already covers a voxel of the new one.
enum class OverlapPolicy {
  kRefuse,     // throw ArgumentError, leave the mask unchanged
  kOverwrite,  // the new label wins there (medmask 0.1.x); add_label reports what it painted over
};

// Voxels of an earlier label that add_label painted over (OverlapPolicy::kOverwrite).
struct LabelOverlap {
  std::uint32_t value = 0;
  std::string name;  // "" for a value the table does not name
  std::uint64_t voxels = 0;
  bool operator==(const LabelOverlap&) const = default;
};

// The axis order of a binary handed to add_label: kZyx, the mask's own (z, y, x); kXyz, reversed
// (element [x][y][z], shape (x, y, z)): the memory of a Fortran-order (z, y, x) array, such as
// nibabel returns, taken without a transposing copy.
enum class BinaryAxes { kZyx, kXyz };

class SegmentationMask {
 public:
  SegmentationMask() = default;
  // Requires: volume shape == space.shape_zyx(); every label value fits the dtype (a bool mask has
  // one label, value 1). Throws ArgumentError naming the mismatch. Values present in the volume
  // but absent from the table are allowed (they read back as unnamed values).
  SegmentationMask(LabelVolume volume, LabelTable labels, Space space);

  // An empty map to fill with add_label. bit_depth: 1 (bool), 8, 16 or 32.
  static SegmentationMask lazy_init(int bit_depth, const Space& space);

  // Paints binary (non-zero = inside, any dtype; shape (z, y, x) of the mask, or its reverse
  // with BinaryAxes::kXyz) with value under name.
  // Returns the earlier labels it painted over, by value (empty with kRefuse).
  // Throws ArgumentError on a shape mismatch, a duplicate name or value, a value beyond the
  // dtype, or (kRefuse) overlap with an existing structure (naming both and the voxel count); on
  // error the mask is unchanged.
  std::vector<LabelOverlap> add_label(const LabelVolume& binary, std::uint32_t value,
                                      const std::string& name,
                                      OverlapPolicy policy = OverlapPolicy::kRefuse,
                                      BinaryAxes axes = BinaryAxes::kZyx);

  // Union of the named structures (bool). Throws NotFoundError for an unknown name.
  LabelVolume binary_mask_by_names(std::span<const std::string> names) const;
  // Union of the given values (bool); values need not be in the table.
  LabelVolume binary_mask_by_values(std::span<const std::uint32_t> values) const;
  // The same, reading only voxels inside the inclusive box [min_zyx, max_zyx] (the rest of the
  // result is 0). Requires: the box holds every voxel of those values (e.g. from label_stats()).
  LabelVolume binary_mask_by_values(std::span<const std::uint32_t> values,
                                    const std::array<std::int64_t, 3>& min_zyx,
                                    const std::array<std::int64_t, 3>& max_zyx) const;

  const LabelVolume& volume() const noexcept { return volume_; }
  const LabelTable& labels() const noexcept { return labels_; }
  const Space& space() const noexcept { return space_; }

  std::map<std::uint32_t, LabelStats> label_stats() const { return compute_label_stats(volume_); }

 private:
  LabelVolume volume_;
  LabelTable labels_;
  Space space_;
};

}  // namespace medmask
