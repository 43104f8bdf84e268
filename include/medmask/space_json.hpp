// medmask/space_json.hpp: a Space as the JSON text the archive index holds, for tools that show
// one (`medmask info --json`), so that they spell it as the index does.
#pragma once

#include <string>

#include "medmask/space.hpp"

namespace medmask {

// {"shape_xyz", "origin_lps", "spacing_mm", "direction_columns"} (FORMAT.md 4.2), compact.
std::string space_to_index_json(const Space& space);

}  // namespace medmask
