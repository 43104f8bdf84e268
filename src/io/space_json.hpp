// space_json.hpp (internal): a Space as JSON, for the sidecars MedMask writes beside exports.
//
// {"shape_xyz": [nx, ny, nz], "origin_lps": [x, y, z], "spacing_mm": [sx, sy, sz],
//  "direction_lps": [[row0], [row1], [row2]] (columns = axis directions),
//  "affine_lps": 4x4, "affine_ras": 4x4 (rows)}; the affines are redundant, for readers' ease.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "medmask/space.hpp"

namespace medmask::detail {

nlohmann::json space_to_json(const Space& space);

// Reads shape_xyz, origin_lps, spacing_mm and direction_lps. Throws FormatError naming where.
Space space_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace medmask::detail
