// The geometry rules that callers of every language share: which grid an array lies on
// (space_for_array, the one place for medmask 0.1.x's axis-order rule), the corner distance, and
// the one JSON reader of a Space for both direction spellings (index columns, sidecar rows).
// Expected values are worked out by hand from the formulas in space.hpp.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "geometry/space_json.hpp"
#include "medmask/error.hpp"
#include "medmask/space.hpp"

namespace medmask {
namespace {

// A rotated grid whose three extents differ, so every transposition shows.
const Mat3 kRotation{{{0.0, -1.0, 0.0}, {1.0, 0.0, 0.0}, {0.0, 0.0, 1.0}}};  // columns: +y, -x, +z
const Space kGrid({6, 5, 4}, {10.0, -20.0, 30.0}, {0.5, 0.75, 2.0}, kRotation);

TEST(ArrayAxisOrder, ZyxArrayLiesOnTheGivenSpaceUnderEitherRule) {
  std::string warning;
  EXPECT_EQ(space_for_array(kGrid, {4, 5, 6}, ArrayAxisOrder::kZyx, "x"), kGrid);
  EXPECT_EQ(space_for_array(kGrid, {4, 5, 6}, ArrayAxisOrder::kMedmask01, "x", &warning), kGrid);
  EXPECT_TRUE(warning.empty());
}

TEST(ArrayAxisOrder, TransposedArrayIsRefusedWithHowToFixIt) {
  try {
    (void)space_for_array(kGrid, {6, 5, 4}, ArrayAxisOrder::kZyx, "structure 'liver'");
    FAIL() << "an (x, y, z) array was accepted";
  } catch (const ArgumentError& e) {
    const std::string text = e.what();
    EXPECT_EQ(text.rfind("structure 'liver': ", 0), 0u) << text;
    EXPECT_NE(text.find("(6, 5, 4) is the space's (x, y, z) shape"), std::string::npos) << text;
    EXPECT_NE(text.find("expected (4, 5, 6)"), std::string::npos) << text;
    EXPECT_NE(text.find("transposed"), std::string::npos) << text;
    EXPECT_NE(text.find("nibabel image"), std::string::npos) << text;
  }
}

TEST(ArrayAxisOrder, Medmask01RuleTakesTheReversedSpaceAndWarns) {
  std::string warning;
  const Space placed =
      space_for_array(kGrid, {6, 5, 4}, ArrayAxisOrder::kMedmask01, "SegmentationMask", &warning);
  EXPECT_EQ(placed, kGrid.reversed_axes());
  // Element [a][b][c] of the array is voxel (a, b, c) of the given grid: the same world point.
  const Vec3 p = placed.ijk_to_lps({3.0, 2.0, 1.0});  // (i, j, k) on the placed grid = [1][2][3]
  const Vec3 q = kGrid.ijk_to_lps({1.0, 2.0, 3.0});
  for (std::size_t a = 0; a < 3; ++a) EXPECT_NEAR(p[a], q[a], 1e-12);
  EXPECT_EQ(warning.rfind("SegmentationMask: ", 0), 0u) << warning;
  EXPECT_NE(warning.find("0.1.x"), std::string::npos) << warning;
  // Without a place for the warning the rule still applies.
  EXPECT_EQ(space_for_array(kGrid, {6, 5, 4}, ArrayAxisOrder::kMedmask01, "m"), placed);
}

TEST(ArrayAxisOrder, ShapeFittingNoOrderIsRefusedUnderBothRules) {
  for (const ArrayAxisOrder rule : {ArrayAxisOrder::kZyx, ArrayAxisOrder::kMedmask01}) {
    try {
      (void)space_for_array(kGrid, {4, 6, 5}, rule, "add 'a'");
      FAIL() << "a wrong shape was accepted";
    } catch (const ArgumentError& e) {
      const std::string text = e.what();
      EXPECT_NE(text.find("(4, 6, 5) differs from the space's (4, 5, 6)"), std::string::npos)
          << text;
    }
  }
}

TEST(ArrayAxisOrder, SymmetricGridKeepsItsDocumentedOrder) {
  const Space symmetric({4, 3, 4}, {0, 0, 0}, {1.0, 1.0, 2.0}, kRotation);
  std::string warning;
  EXPECT_EQ(space_for_array(symmetric, {4, 3, 4}, ArrayAxisOrder::kMedmask01, "m", &warning),
            symmetric);
  EXPECT_TRUE(warning.empty());
}

TEST(SpaceCorners, MaxCornerDistanceIsTheFarthestCorner) {
  const Space base({10, 20, 30}, {0, 0, 0}, {1, 1, 1}, kRotation);
  EXPECT_EQ(base.max_corner_distance_mm(base), 0.0);
  // A spacing change of 0.01 mm along k moves the far corners by 29 * 0.01 = 0.29 mm.
  const Space stretched({10, 20, 30}, {0, 0, 0}, {1, 1, 1.01}, kRotation);
  EXPECT_NEAR(base.max_corner_distance_mm(stretched), 0.29, 1e-12);
  // A shift moves every corner alike: 3-4-5.
  const Space shifted({10, 20, 30}, {3, 4, 0}, {1, 1, 1}, kRotation);
  EXPECT_NEAR(base.max_corner_distance_mm(shifted), 5.0, 1e-12);
  EXPECT_TRUE(base.is_close(shifted, 5.0 + 1e-9));
  EXPECT_FALSE(base.is_close(shifted, 5.0 - 1e-9));
}

// Columns in the index, rows in sidecars: each spelling read back, and each read of the other
// spelling's matrix would be the transpose (the bug that flips a patient).
TEST(SpaceJson, BothSpellingsRoundTripAndMeanTheSameMatrix) {
  using detail::DirectionSpelling;
  const nlohmann::ordered_json columns = detail::space_to_json(kGrid, DirectionSpelling::kColumns);
  const nlohmann::ordered_json rows = detail::space_to_json(kGrid, DirectionSpelling::kRows);
  // Column 0 (the i axis) points to +y; row 0 holds the x components of the three axes.
  EXPECT_EQ(columns.at("direction_columns")[0], nlohmann::json::parse("[0.0, 1.0, 0.0]"));
  EXPECT_EQ(rows.at("direction_lps")[0], nlohmann::json::parse("[0.0, -1.0, 0.0]"));
  EXPECT_FALSE(columns.contains("affine_lps"));
  EXPECT_TRUE(rows.contains("affine_ras"));
  const nlohmann::json as_columns = nlohmann::json::parse(columns.dump());
  const nlohmann::json as_rows = nlohmann::json::parse(rows.dump());
  EXPECT_EQ(detail::space_from_json(as_columns, DirectionSpelling::kColumns, "index"), kGrid);
  EXPECT_EQ(detail::space_from_json(as_rows, DirectionSpelling::kRows, "sidecar"), kGrid);
  // A spelling the reader was not asked for is missing, not silently transposed.
  EXPECT_THROW((void)detail::space_from_json(as_rows, DirectionSpelling::kColumns, "i"),
               FormatError);
}

TEST(SpaceJson, EveryBadFieldIsNamed) {
  using detail::DirectionSpelling;
  const nlohmann::json good =
      nlohmann::json::parse(detail::space_to_json(kGrid, DirectionSpelling::kRows).dump());
  const auto expect_field = [&](const char* pointer, const nlohmann::json& value,
                                const std::string& field) {
    nlohmann::json bad = good;
    bad[nlohmann::json::json_pointer(pointer)] = value;
    try {
      (void)detail::space_from_json(bad, DirectionSpelling::kRows, "labels.json");
      FAIL() << pointer;
    } catch (const FormatError& e) {
      EXPECT_EQ(std::string(e.what()).rfind("labels.json: " + field, 0), 0u) << e.what();
    }
  };
  expect_field("/shape_xyz/1", 0, "space.shape_xyz[1]");
  expect_field("/shape_xyz/2", 1.5, "space.shape_xyz[2]");
  expect_field("/origin_lps", nlohmann::json::array({1, 2}), "space.origin_lps");
  expect_field("/spacing_mm/0", "1", "space.spacing_mm[0]");
  expect_field("/spacing_mm/0", -1.0, "space");  // the Space constructor's check
  expect_field("/direction_lps/2", nlohmann::json::array({0, 1, 0}), "space");  // not orthonormal
}

}  // namespace
}  // namespace medmask
