// Space: voxel grid geometry in DICOM LPS mm (see include/medmask/space.hpp, README.md
// "Conventions" and docs/FORMAT.md 4.2).
#include "medmask/space.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>

#include "geometry/affine_problem.hpp"
#include "medmask/error.hpp"

namespace medmask {

namespace {

// Directions within this distance of orthonormal (every element of D^T D - I) are kept exactly
// as given, so world coordinates match nibabel's; anything more is a real shear. 1e-3, not 1e-4:
// resampled TotalSegmentator masks carry shears of 2.2e-4 (25 of the 117 benchmark files).
constexpr double kOrthonormalTolerance = 1e-3;

std::string format_double(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.10g", value);
  return buffer;
}

std::string format_vec(const Vec3& v) {
  return "(" + format_double(v[0]) + ", " + format_double(v[1]) + ", " + format_double(v[2]) + ")";
}

std::string format_mat(const Mat3& m) {
  std::string out = "[";
  for (std::size_t r = 0; r < 3; ++r) {
    out += format_vec(m[r]);
    if (r < 2) out += ", ";
  }
  return out + "]";
}

double determinant(const Mat3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

// Why the columns of direction are not unit length and mutually orthogonal within tolerance, or
// nullopt when they are.
std::optional<std::string> orthonormal_problem(const Mat3& direction, const char* what) {
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) {
      if (!std::isfinite(direction[r][c])) {
        return std::string(what) + ": direction " + format_mat(direction) + " is not finite";
      }
    }
  }
  for (std::size_t a = 0; a < 3; ++a) {
    for (std::size_t b = a; b < 3; ++b) {
      double dot = 0.0;
      for (std::size_t r = 0; r < 3; ++r) dot += direction[r][a] * direction[r][b];
      const double expected = a == b ? 1.0 : 0.0;
      if (std::abs(dot - expected) > kOrthonormalTolerance) {
        const std::string problem =
            a == b ? "direction column " + std::to_string(a) + " is not unit length (norm^2 " +
                         format_double(dot) + ")"
                   : "direction columns " + std::to_string(a) + " and " + std::to_string(b) +
                         " are not orthogonal (dot " + format_double(dot) +
                         "): a sheared grid is not supported";
        return std::string(what) + ": " + problem + "; direction " + format_mat(direction) +
               ", tolerance 1e-3";
      }
    }
  }
  return std::nullopt;
}

void check_orthonormal(const Mat3& direction, const char* what) {
  if (auto problem = orthonormal_problem(direction, what)) throw ArgumentError(*problem);
}

// An affine's spacing (column norms) and direction (normalised columns), or why it has none.
struct AffineParts {
  Vec3 spacing{};
  Mat3 direction{};
  std::optional<std::string> problem;
};

AffineParts affine_parts(const Affine4& affine_lps) {
  AffineParts parts;
  for (std::size_t r = 0; r < 4; ++r) {
    for (std::size_t c = 0; c < 4; ++c) {
      if (!std::isfinite(affine_lps[r][c])) {
        parts.problem =
            "affine: element [" + std::to_string(r) + "][" + std::to_string(c) + "] is not finite";
        return parts;
      }
    }
  }
  if (affine_lps[3][0] != 0.0 || affine_lps[3][1] != 0.0 || affine_lps[3][2] != 0.0 ||
      affine_lps[3][3] != 1.0) {
    parts.problem = "affine: last row must be (0, 0, 0, 1), found (" +
                    format_double(affine_lps[3][0]) + ", " + format_double(affine_lps[3][1]) +
                    ", " + format_double(affine_lps[3][2]) + ", " +
                    format_double(affine_lps[3][3]) + ")";
    return parts;
  }
  for (std::size_t c = 0; c < 3; ++c) {
    const double norm =
        std::sqrt(affine_lps[0][c] * affine_lps[0][c] + affine_lps[1][c] * affine_lps[1][c] +
                  affine_lps[2][c] * affine_lps[2][c]);
    if (!(norm > 0.0)) {
      parts.problem = "affine: column " + std::to_string(c) + " is zero (singular affine)";
      return parts;
    }
    parts.spacing[c] = norm;
    for (std::size_t r = 0; r < 3; ++r) parts.direction[r][c] = affine_lps[r][c] / norm;
  }
  parts.problem = orthonormal_problem(parts.direction, "affine");
  return parts;
}

Affine4 flip_xy(const Affine4& affine) {
  Affine4 out = affine;
  for (std::size_t c = 0; c < 4; ++c) {
    out[0][c] = -out[0][c];
    out[1][c] = -out[1][c];
  }
  return out;
}

}  // namespace

Space::Space()
    : shape_xyz_{1, 1, 1},
      origin_lps_{0.0, 0.0, 0.0},
      spacing_mm_{1.0, 1.0, 1.0},
      direction_{{{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}} {}

Space::Space(Shape3 shape_xyz, Vec3 origin_lps, Vec3 spacing_mm, Mat3 direction)
    : shape_xyz_(shape_xyz),
      origin_lps_(origin_lps),
      spacing_mm_(spacing_mm),
      direction_(direction) {
  std::int64_t count = 1;
  for (std::size_t a = 0; a < 3; ++a) {
    if (shape_xyz[a] < 1) {
      throw ArgumentError("Space: shape_xyz[" + std::to_string(a) + "] must be >= 1, found " +
                          std::to_string(shape_xyz[a]));
    }
    if (count > std::numeric_limits<std::int64_t>::max() / shape_xyz[a]) {
      throw ArgumentError("Space: voxel count of shape " + std::to_string(shape_xyz[0]) + " x " +
                          std::to_string(shape_xyz[1]) + " x " + std::to_string(shape_xyz[2]) +
                          " overflows 64 bits");
    }
    count *= shape_xyz[a];
    if (!std::isfinite(spacing_mm[a]) || spacing_mm[a] <= 0.0) {
      throw ArgumentError("Space: spacing_mm[" + std::to_string(a) +
                          "] must be finite and > 0, found " + format_double(spacing_mm[a]));
    }
    if (!std::isfinite(origin_lps[a])) {
      throw ArgumentError("Space: origin_lps[" + std::to_string(a) + "] must be finite, found " +
                          format_double(origin_lps[a]));
    }
  }
  check_orthonormal(direction, "Space");
}

Space Space::from_affine_lps(const Affine4& affine_lps, Shape3 shape_xyz) {
  const AffineParts parts = affine_parts(affine_lps);
  if (parts.problem) throw ArgumentError(*parts.problem);
  return Space(shape_xyz, {affine_lps[0][3], affine_lps[1][3], affine_lps[2][3]}, parts.spacing,
               parts.direction);
}

Space Space::from_affine_ras(const Affine4& affine_ras, Shape3 shape_xyz) {
  return from_affine_lps(flip_xy(affine_ras), shape_xyz);
}

Affine4 Space::to_affine_lps() const {
  Affine4 out{};
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) out[r][c] = direction_[r][c] * spacing_mm_[c];
    out[r][3] = origin_lps_[r];
  }
  out[3] = {0.0, 0.0, 0.0, 1.0};
  return out;
}

Affine4 Space::to_affine_ras() const { return flip_xy(to_affine_lps()); }

Vec3 Space::ijk_to_lps(const Vec3& ijk) const {
  Vec3 out = origin_lps_;
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) out[r] += direction_[r][c] * spacing_mm_[c] * ijk[c];
  }
  return out;
}

Vec3 Space::lps_to_ijk(const Vec3& lps) const {
  // Solve M * ijk = lps - origin with the exact inverse (Cramer's rule), since the direction is
  // orthonormal only within tolerance and its transpose would be off by up to 1e-3.
  Mat3 m{};
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 3; ++c) m[r][c] = direction_[r][c] * spacing_mm_[c];
  }
  const Vec3 d{lps[0] - origin_lps_[0], lps[1] - origin_lps_[1], lps[2] - origin_lps_[2]};
  const double det = determinant(m);
  Vec3 out{};
  for (std::size_t c = 0; c < 3; ++c) {
    Mat3 replaced = m;
    for (std::size_t r = 0; r < 3; ++r) replaced[r][c] = d[r];
    out[c] = determinant(replaced) / det;
  }
  return out;
}

std::int64_t Space::voxel_count() const noexcept {
  return shape_xyz_[0] * shape_xyz_[1] * shape_xyz_[2];
}

double Space::voxel_volume_mm3() const noexcept {
  return spacing_mm_[0] * spacing_mm_[1] * spacing_mm_[2];
}

double Space::handedness() const noexcept { return determinant(direction_) < 0.0 ? -1.0 : 1.0; }

Space Space::reversed_axes() const {
  Space out = *this;
  for (std::size_t a = 0; a < 3; ++a) {
    out.shape_xyz_[a] = shape_xyz_[2 - a];
    out.spacing_mm_[a] = spacing_mm_[2 - a];
    for (std::size_t r = 0; r < 3; ++r) out.direction_[r][a] = direction_[r][2 - a];
  }
  return out;
}

double Space::max_corner_distance_mm(const Space& other) const {
  double worst = 0.0;
  for (unsigned corner = 0; corner < 8; ++corner) {
    Vec3 ijk{};
    for (std::size_t a = 0; a < 3; ++a) {
      ijk[a] = ((corner >> a) & 1u) != 0 ? static_cast<double>(shape_xyz_[a] - 1) : 0.0;
    }
    const Vec3 p = ijk_to_lps(ijk);
    const Vec3 q = other.ijk_to_lps(ijk);
    const double distance = std::hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
    // NaN (never from a valid Space) counts as infinitely far.
    worst = distance <= worst ? worst : (std::isnan(distance) ? HUGE_VAL : distance);
  }
  return worst;
}

bool Space::is_close(const Space& other, double tolerance_mm) const {
  return shape_xyz_ == other.shape_xyz_ && max_corner_distance_mm(other) <= tolerance_mm;
}

std::string Space::to_string() const {
  return "Space(shape_xyz=(" + std::to_string(shape_xyz_[0]) + ", " +
         std::to_string(shape_xyz_[1]) + ", " + std::to_string(shape_xyz_[2]) +
         "), origin_lps=" + format_vec(origin_lps_) + ", spacing_mm=" + format_vec(spacing_mm_) +
         ", direction=" + format_mat(direction_) + ")";
}

namespace {

std::string zyx_text(const Shape3& shape_zyx) {
  return "(" + std::to_string(shape_zyx[0]) + ", " + std::to_string(shape_zyx[1]) + ", " +
         std::to_string(shape_zyx[2]) + ")";
}

}  // namespace

// The 0.1.x rule and its refusal live here only (docs/DESIGN.md, "Axis order of arrays").
Space space_for_array(const Space& space, const Shape3& array_zyx, ArrayAxisOrder rule,
                      const std::string& what, std::string* warning) {
  if (array_zyx == space.shape_zyx()) return space;
  const Shape3& shape_xyz = space.shape_xyz();
  const bool fits_reversed = array_zyx == shape_xyz;
  if (fits_reversed && rule == ArrayAxisOrder::kMedmask01) {
    if (warning != nullptr) {
      *warning = what + ": array shape " + zyx_text(array_zyx) +
                 " fits the space only in reversed axis order; taken as medmask 0.1.x did (the "
                 "space given in (z, y, x) order, or the array indexed [i, j, k]): it lies on "
                 "the reversed space, whose shape (z, y, x) is " +
                 zyx_text(array_zyx) + ". Pass a (z, y, x) array of the space to avoid this";
    }
    return space.reversed_axes();
  }
  if (fits_reversed) {
    throw ArgumentError(what + ": array shape " + zyx_text(array_zyx) +
                        " is the space's (x, y, z) shape; arrays are (z, y, x), expected " +
                        zyx_text(space.shape_zyx()) +
                        ". An array indexed [i, j, k] (as nibabel returns them) must be "
                        "transposed: pass array.T, or the nibabel image itself where the call "
                        "takes one");
  }
  throw ArgumentError(what + ": array shape (z, y, x) " + zyx_text(array_zyx) +
                      " differs from the space's " + zyx_text(space.shape_zyx()));
}

}  // namespace medmask

namespace medmask::detail {

std::optional<std::string> affine_ras_problem(const Affine4& affine_ras) {
  return affine_parts(flip_xy(affine_ras)).problem;
}

}  // namespace medmask::detail
