// space_json.hpp (internal): the one reader and writer of a Space as JSON, for both places that
// hold one, which spell the direction matrix differently (a transposed direction matrix is
// exactly the bug that flips a patient, so the transpose lives here only):
// - the archive index (docs/FORMAT.md 4.2): "direction_columns" = [column0, column1, column2];
// - the sidecars MedMask writes beside exports (docs/IMPORT_EXPORT.md): "direction_lps" = [row0,
//   row1, row2], plus the redundant "affine_lps" and "affine_ras" (4 rows) for readers' ease.
// Both: "shape_xyz": [nx, ny, nz], "origin_lps": [x, y, z], "spacing_mm": [sx, sy, sz].
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "medmask/space.hpp"

namespace medmask::detail {

enum class DirectionSpelling {
  kColumns,  // "direction_columns": the index
  kRows,     // "direction_lps" (+ affines): sidecars
};

// The JSON object of space; ordered_json keeps the key order above (the index is hashed).
nlohmann::ordered_json space_to_json(const Space& space, DirectionSpelling spelling);

// Reports a bad field and throws: fail(field, problem), field such as "space.origin_lps[1]".
using JsonFieldFailure = std::function<void(const std::string& field, const std::string& problem)>;

// Reads shape_xyz (integers 1..2^31-1), origin_lps, spacing_mm (finite numbers) and the
// direction in spelling; everything else is ignored. Every problem, including a Space that the
// constructor refuses (field "space"), goes to fail, which must throw.
Space space_from_json(const nlohmann::json& json, DirectionSpelling spelling,
                      const JsonFieldFailure& fail);

// The same, with failures thrown as FormatError("<where>: <field>: <problem>").
Space space_from_json(const nlohmann::json& json, DirectionSpelling spelling,
                      const std::string& where);

}  // namespace medmask::detail
