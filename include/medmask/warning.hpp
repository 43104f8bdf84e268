// medmask/warning.hpp: what an import or export tells its caller besides its result. A warning
// is a kind, for code that reacts to it, and a text, for people; code never needs to read the
// text to know what happened.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace medmask {

enum class WarningKind {
  kNiftiHeader,         // header fields disagree or are unusual (bitpix, units, xform codes);
                        // read as nibabel reads them
  kAffineDisagreement,  // sform and qform place a corner voxel more than 1e-3 mm apart
  kAffineFallback,      // the preferred affine was unusable or absent; another one was used
  kLabelTableUnused,    // the file holds its own label table; the given one was not used
  kUnnamedValues,       // voxel values no label names, stored as label_<value> or kept unnamed
  kEmptyLabels,         // named labels without voxels, kept as empty structures
  kSkippedInput,        // files or members that hold no label data were skipped
  kRenamed,             // a repeated segment name was made unique
  kNotAGroup,           // a segment names members but is not their union; kept as a structure
  kValueChanged,        // structures exported with another value than the archive's
  kThresholded,         // a FRACTIONAL segmentation was thresholded
  kStandaloneSeg,       // a DICOM SEG written without a reference series
  kReferenceSeries,     // the reference series lacked something; what was used instead
  kOptionNotApplied,    // an option that does not apply to this output was ignored
};

struct Warning {
  WarningKind kind;
  std::string text;
  bool operator==(const Warning&) const = default;
};

using Warnings = std::vector<Warning>;

// A stable lower-case name of kind ("affine-disagreement", ...), for logs and the bindings.
std::string_view warning_kind_name(WarningKind kind) noexcept;

}  // namespace medmask
