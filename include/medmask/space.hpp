// medmask/space.hpp: the geometry of a voxel grid in DICOM patient coordinates.
//
// Conventions used throughout MedMask:
// - World coordinates are DICOM LPS+ millimetres (x to the patient's Left, y Posterior, z
// Superior).
// - Voxel index (i, j, k) is 0-based; i is the fastest axis on disk. The origin is the centre of
//   voxel (0, 0, 0). Space stores shape, spacing and directions in (i, j, k) = (x, y, z) order.
// - Arrays are numpy (z, y, x) C order everywhere in the API: element [k][j][i] is voxel (i, j, k).
//
//   lps = origin + direction * diag(spacing) * (i, j, k)^T
//
// The direction matrix holds the unit axis directions as its columns; any handedness and any
// obliquity is kept exactly (never reoriented). NIfTI stores RAS+: lps = diag(-1, -1, 1) * ras.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace medmask {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<std::array<double, 3>, 3>;     // m[row][col]
using Affine4 = std::array<std::array<double, 4>, 4>;  // m[row][col], last row 0 0 0 1
using Shape3 = std::array<std::int64_t, 3>;

class Space {
 public:
  // A 1x1x1 grid at the origin with 1 mm spacing and identity directions.
  Space();
  // Requires: every extent >= 1, spacing finite and > 0, origin finite, direction columns
  // orthonormal within 1e-3 (every element of D^T D - I; real files carry shears of ~2e-4,
  // e.g. 25 of the 117 benchmark masks). Throws: ArgumentError naming the bad field.
  Space(Shape3 shape_xyz, Vec3 origin_lps, Vec3 spacing_mm, Mat3 direction);

  // From a 4x4 voxel-to-world affine. Columns 0..2 give spacing (their norms) and directions;
  // column 3 the origin. Throws ArgumentError for a sheared, singular or non-finite affine.
  static Space from_affine_lps(const Affine4& affine_lps, Shape3 shape_xyz);
  static Space from_affine_ras(const Affine4& affine_ras, Shape3 shape_xyz);  // NIfTI

  Affine4 to_affine_lps() const;
  Affine4 to_affine_ras() const;  // what NIfTI's sform holds

  Vec3 ijk_to_lps(const Vec3& ijk) const;
  Vec3 lps_to_ijk(const Vec3& lps) const;

  const Shape3& shape_xyz() const noexcept { return shape_xyz_; }
  Shape3 shape_zyx() const noexcept { return {shape_xyz_[2], shape_xyz_[1], shape_xyz_[0]}; }
  std::int64_t voxel_count() const noexcept;
  const Vec3& origin_lps() const noexcept { return origin_lps_; }
  const Vec3& spacing_mm() const noexcept { return spacing_mm_; }
  const Mat3& direction() const noexcept { return direction_; }
  double voxel_volume_mm3() const noexcept;
  // +1 or -1: the handedness of the voxel axes in LPS.
  double handedness() const noexcept;

  // The same grid viewed with reversed axis order (k, j, i): for APIs that index (z, y, x).
  Space reversed_axes() const;

  // Largest distance (mm) between where this grid and other put the same corner voxel (the 8
  // corners of this grid's shape; other's shape is not compared).
  double max_corner_distance_mm(const Space& other) const;

  // True when shapes match and every corner voxel maps within tolerance_mm of the other's.
  bool is_close(const Space& other, double tolerance_mm = 1e-4) const;
  bool operator==(const Space& other) const = default;

  std::string to_string() const;

 private:
  Shape3 shape_xyz_;
  Vec3 origin_lps_;
  Vec3 spacing_mm_;
  Mat3 direction_;
};

// How an array handed to the API is placed on the Space its caller gave (the one rule for
// axis order; the Python bindings call it, they do not guess).
enum class ArrayAxisOrder {
  // The array is (z, y, x) on the space: its shape must be space.shape_zyx(). An array shaped
  // space.shape_xyz() instead (indexed [i, j, k], as nibabel returns them) is refused with a
  // message that says to transpose it. Every call of the current API follows this rule.
  kZyx,
  // medmask 0.1.x's convention, kept for its compatible calls only (SegmentationMask(array,
  // mapping, space), lazy_init/add_label, add_mask): when only space.reversed_axes() fits the
  // array (a Space given in 0.1.x's (z, y, x) order, or an array indexed [i, j, k]), the array
  // lies on the reversed Space, and a warning says so.
  kMedmask01,
};

// The Space on which an array of shape array_zyx lies, given space and rule. A shape that fits
// space.shape_zyx() returns space unchanged under both rules. Under kMedmask01 a shape that fits
// only the reversed order returns space.reversed_axes() and, when warning is not null, sets
// *warning to one line explaining it (left unchanged otherwise).
// Throws: ArgumentError starting with what, naming both shapes (and how to transpose).
Space space_for_array(const Space& space, const Shape3& array_zyx, ArrayAxisOrder rule,
                      const std::string& what, std::string* warning = nullptr);

}  // namespace medmask
