// Space: validation, affine conversions (RAS/LPS), voxel <-> world, axis reversal, closeness.
// Expected values are worked out by hand from the formulas in space.hpp.
#include <gtest/gtest.h>

#include <cmath>

#include "medmask/error.hpp"
#include "medmask/space.hpp"

namespace medmask {
namespace {

constexpr double kPi = 3.14159265358979323846;
const Mat3 kIdentity{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

Mat3 rotation_z(double degrees) {
  const double t = degrees * kPi / 180.0;
  return {{{std::cos(t), -std::sin(t), 0}, {std::sin(t), std::cos(t), 0}, {0, 0, 1}}};
}

// An oblique rotation built from two elementary ones (orthonormal by construction).
Mat3 oblique_rotation() {
  const double a = 0.3, b = -0.7;
  const Mat3 rx{{{1, 0, 0}, {0, std::cos(a), -std::sin(a)}, {0, std::sin(a), std::cos(a)}}};
  const Mat3 rz = rotation_z(b * 180.0 / kPi);
  Mat3 m{};
  for (std::size_t r = 0; r < 3; ++r)
    for (std::size_t c = 0; c < 3; ++c)
      for (std::size_t k = 0; k < 3; ++k) m[r][c] += rz[r][k] * rx[k][c];
  return m;
}

void expect_vec_near(const Vec3& a, const Vec3& b, double tol) {
  for (std::size_t i = 0; i < 3; ++i) EXPECT_NEAR(a[i], b[i], tol) << "component " << i;
}

TEST(Space, DefaultIsUnitGrid) {
  const Space s;
  EXPECT_EQ(s.shape_xyz(), (Shape3{1, 1, 1}));
  EXPECT_EQ(s.origin_lps(), (Vec3{0, 0, 0}));
  EXPECT_EQ(s.spacing_mm(), (Vec3{1, 1, 1}));
  EXPECT_EQ(s.direction(), kIdentity);
  EXPECT_EQ(s.voxel_count(), 1);
  EXPECT_EQ(s.handedness(), 1.0);
}

TEST(Space, AccessorsAndDerivedValues) {
  const Space s({3, 4, 5}, {1, 2, 3}, {0.5, 2.0, 3.0}, kIdentity);
  EXPECT_EQ(s.shape_zyx(), (Shape3{5, 4, 3}));
  EXPECT_EQ(s.voxel_count(), 60);
  EXPECT_DOUBLE_EQ(s.voxel_volume_mm3(), 3.0);
  expect_vec_near(s.ijk_to_lps({2, 3, 4}), {1 + 1.0, 2 + 6.0, 3 + 12.0}, 1e-12);
}

TEST(Space, RejectsBadFields) {
  EXPECT_THROW(Space({0, 4, 5}, {0, 0, 0}, {1, 1, 1}, kIdentity), ArgumentError);
  EXPECT_THROW(Space({3, -1, 5}, {0, 0, 0}, {1, 1, 1}, kIdentity), ArgumentError);
  EXPECT_THROW(Space({3, 4, 5}, {0, 0, 0}, {1, 0, 1}, kIdentity), ArgumentError);
  EXPECT_THROW(Space({3, 4, 5}, {0, 0, 0}, {1, -2, 1}, kIdentity), ArgumentError);
  EXPECT_THROW(Space({3, 4, 5}, {0, 0, 0}, {1, NAN, 1}, kIdentity), ArgumentError);
  EXPECT_THROW(Space({3, 4, 5}, {0, INFINITY, 0}, {1, 1, 1}, kIdentity), ArgumentError);
  EXPECT_THROW(Space({1 << 30, 1 << 30, 1 << 30}, {0, 0, 0}, {1, 1, 1}, kIdentity),
               ArgumentError);  // voxel count overflows 64 bits
}

TEST(Space, RejectsShearAndNonUnitDirections) {
  Mat3 sheared = kIdentity;
  sheared[0][1] = 0.2;  // columns 0 and 1 not orthogonal
  try {
    Space({3, 4, 5}, {0, 0, 0}, {1, 1, 1}, sheared);
    FAIL() << "sheared direction accepted";
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("orthogonal"), std::string::npos) << e.what();
  }
  Mat3 scaled = kIdentity;
  scaled[2][2] = 1.01;
  EXPECT_THROW(Space({3, 4, 5}, {0, 0, 0}, {1, 1, 1}, scaled), ArgumentError);
  // Within the 1e-3 tolerance: accepted and kept exactly as given (the benchmark's sheared
  // sforms have a column dot product of 2.2e-4).
  Mat3 nearly = kIdentity;
  nearly[0][1] = 5e-4;
  const Space s({3, 4, 5}, {0, 0, 0}, {1, 1, 1}, nearly);
  EXPECT_EQ(s.direction()[0][1], 5e-4);
  Mat3 beyond = kIdentity;
  beyond[0][1] = 2e-3;
  EXPECT_THROW(Space({3, 4, 5}, {0, 0, 0}, {1, 1, 1}, beyond), ArgumentError);
}

TEST(Space, FromAffineRasNegatesXAndY) {
  // RAS affine: spacing (2, 3, 4), axes along +R, +A, +S, origin (10, 20, 30).
  const Affine4 ras{{{2, 0, 0, 10}, {0, 3, 0, 20}, {0, 0, 4, 30}, {0, 0, 0, 1}}};
  const Space s = Space::from_affine_ras(ras, {3, 4, 5});
  expect_vec_near(s.origin_lps(), {-10, -20, 30}, 0);
  expect_vec_near(s.spacing_mm(), {2, 3, 4}, 1e-15);
  const Mat3 expected{{{-1, 0, 0}, {0, -1, 0}, {0, 0, 1}}};
  EXPECT_EQ(s.direction(), expected);
  EXPECT_EQ(s.handedness(), 1.0);  // det diag(-1, -1, 1) = +1
  expect_vec_near(s.ijk_to_lps({1, 1, 1}), {-12, -23, 34}, 1e-12);
  const Affine4 back = s.to_affine_ras();
  for (std::size_t r = 0; r < 4; ++r)
    for (std::size_t c = 0; c < 4; ++c) EXPECT_NEAR(back[r][c], ras[r][c], 1e-12);
  const Affine4 lps = s.to_affine_lps();
  EXPECT_EQ(lps[0][0], -2.0);
  EXPECT_EQ(lps[0][3], -10.0);
  EXPECT_EQ(lps[2][3], 30.0);
}

TEST(Space, KeepsLeftHandedness) {
  const Affine4 lps{{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, -2, 5}, {0, 0, 0, 1}}};
  const Space s = Space::from_affine_lps(lps, {2, 2, 2});
  EXPECT_EQ(s.handedness(), -1.0);
  EXPECT_EQ(s.direction()[2][2], -1.0);
  EXPECT_EQ(s.spacing_mm()[2], 2.0);
  expect_vec_near(s.ijk_to_lps({0, 0, 1}), {0, 0, 3}, 1e-12);
  EXPECT_EQ(Space::from_affine_ras(s.to_affine_ras(), {2, 2, 2}).handedness(), -1.0);
}

TEST(Space, FromAffineRejectsShearSingularAndNonFinite) {
  const Affine4 sheared{{{1, 0.3, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
  EXPECT_THROW(Space::from_affine_lps(sheared, {2, 2, 2}), ArgumentError);
  const Affine4 singular{{{1, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
  EXPECT_THROW(Space::from_affine_ras(singular, {2, 2, 2}), ArgumentError);
  const Affine4 nan{{{1, 0, 0, NAN}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}};
  EXPECT_THROW(Space::from_affine_lps(nan, {2, 2, 2}), ArgumentError);
  const Affine4 projective{{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 1, 1}}};
  EXPECT_THROW(Space::from_affine_lps(projective, {2, 2, 2}), ArgumentError);
}

TEST(Space, ObliqueVoxelToWorldAndBack) {
  const Mat3 d = rotation_z(30.0);
  const Space s({10, 20, 30}, {5, -7, 9}, {0.5, 0.8, 2.5}, d);
  // voxel (2, 0, 0): origin + 2 * 0.5 * (cos 30, sin 30, 0)
  expect_vec_near(s.ijk_to_lps({2, 0, 0}), {5 + std::cos(kPi / 6), -7 + std::sin(kPi / 6), 9},
                  1e-12);
  // voxel (0, 5, 1): origin + 5 * 0.8 * (-sin 30, cos 30, 0) + 2.5 * (0, 0, 1)
  expect_vec_near(s.ijk_to_lps({0, 5, 1}),
                  {5 - 4 * std::sin(kPi / 6), -7 + 4 * std::cos(kPi / 6), 11.5}, 1e-12);
  const Space o({10, 20, 30}, {5, -7, 9}, {0.5, 0.8, 2.5}, oblique_rotation());
  for (const Vec3 ijk : {Vec3{0, 0, 0}, Vec3{9, 19, 29}, Vec3{3.5, -2, 17.25}}) {
    expect_vec_near(o.lps_to_ijk(o.ijk_to_lps(ijk)), ijk, 1e-9);
  }
}

TEST(Space, AffineRoundTripOblique) {
  const Space s({7, 8, 9}, {-100.25, 33.5, 12}, {0.7, 0.9, 3.0}, oblique_rotation());
  const Space back = Space::from_affine_ras(s.to_affine_ras(), s.shape_xyz());
  EXPECT_TRUE(back.is_close(s, 1e-9));
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(back.spacing_mm()[i], s.spacing_mm()[i], 1e-12);
    EXPECT_NEAR(back.origin_lps()[i], s.origin_lps()[i], 1e-12);
  }
}

TEST(Space, ReversedAxesMapsTheSameVoxels) {
  const Space s({3, 4, 5}, {1, 2, 3}, {0.5, 1.5, 2.5}, oblique_rotation());
  const Space r = s.reversed_axes();
  EXPECT_EQ(r.shape_xyz(), (Shape3{5, 4, 3}));
  EXPECT_EQ(r.spacing_mm(), (Vec3{2.5, 1.5, 0.5}));
  EXPECT_EQ(r.origin_lps(), s.origin_lps());
  expect_vec_near(r.ijk_to_lps({4, 1, 2}), s.ijk_to_lps({2, 1, 4}), 1e-12);
  EXPECT_EQ(r.reversed_axes(), s);
  // Reversing three axes flips handedness (an odd permutation).
  EXPECT_EQ(r.handedness(), -s.handedness());
}

TEST(Space, IsCloseComparesCorners) {
  const Space s({10, 10, 10}, {0, 0, 0}, {1, 1, 1}, kIdentity);
  EXPECT_TRUE(s.is_close(s));
  const Space shifted({10, 10, 10}, {2e-4, 0, 0}, {1, 1, 1}, kIdentity);
  EXPECT_FALSE(s.is_close(shifted));
  EXPECT_TRUE(s.is_close(shifted, 1e-3));
  // A spacing change of 1e-4 moves the far corner by 9e-4 mm.
  const Space stretched({10, 10, 10}, {0, 0, 0}, {1.0001, 1, 1}, kIdentity);
  EXPECT_FALSE(s.is_close(stretched, 5e-4));
  EXPECT_TRUE(s.is_close(stretched, 1e-3));
  const Space other_shape({10, 10, 11}, {0, 0, 0}, {1, 1, 1}, kIdentity);
  EXPECT_FALSE(s.is_close(other_shape, 1e6));
  EXPECT_FALSE(s == shifted);
  EXPECT_TRUE(s == Space({10, 10, 10}, {0, 0, 0}, {1, 1, 1}, kIdentity));
}

TEST(Space, ToStringNamesTheFields) {
  const Space s({3, 4, 5}, {1.5, -2, 3}, {0.5, 1, 2}, kIdentity);
  const std::string text = s.to_string();
  EXPECT_NE(text.find("shape_xyz=(3, 4, 5)"), std::string::npos) << text;
  EXPECT_NE(text.find("origin_lps=(1.5, -2, 3)"), std::string::npos) << text;
  EXPECT_NE(text.find("spacing_mm=(0.5, 1, 2)"), std::string::npos) << text;
}

}  // namespace
}  // namespace medmask
