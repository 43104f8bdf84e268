// medmask/known_labels.hpp: colours and coded concepts for structure names other tools define.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "medmask/label_table.hpp"

namespace medmask {

// The colour and SNOMED CT concept (its segmented property type) TotalSegmentator gives the
// structure it calls name (e.g. "liver"), from its totalsegmentator_snomed_mapping.csv (Apache
// 2.0, data/PROVENANCE.md); nullopt for other names. The Label's name is name, its value 0.
// Thread safe.
std::optional<Label> totalsegmentator_label(const std::string& name);

// A colour for the index-th structure without one: hues a golden angle apart, so neighbours in
// a list differ clearly. Deterministic.
Rgb generated_color(std::size_t index);

}  // namespace medmask
