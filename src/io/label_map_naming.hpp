// label_map_naming.hpp (internal): a label map and the names of its values, checked together.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "medmask/mask.hpp"
#include "medmask/warning.hpp"

namespace medmask::io {

// The mask of volume named by table (import.hpp, LabelMapOptions): without a table every
// non-zero value v present is named "label_<v>"; with one, values present but unnamed are an
// ArgumentError unless allow_unnamed (then "label_<v>", with a warning), and named values
// without voxels are kept (a warning counts them). The volume is widened when a named value does
// not fit its dtype. source names the file in messages.
SegmentationMask named_label_map(LabelVolume volume, const std::optional<LabelTable>& table,
                                 bool allow_unnamed, const Space& space, const std::string& source,
                                 Warnings& warnings);

}  // namespace medmask::io
