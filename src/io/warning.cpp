// warning.cpp: the names of warning kinds.
#include "medmask/warning.hpp"

namespace medmask {

std::string_view warning_kind_name(WarningKind kind) noexcept {
  switch (kind) {
    case WarningKind::kNiftiHeader:
      return "nifti-header";
    case WarningKind::kAffineDisagreement:
      return "affine-disagreement";
    case WarningKind::kAffineFallback:
      return "affine-fallback";
    case WarningKind::kLabelTableUnused:
      return "label-table-unused";
    case WarningKind::kUnnamedValues:
      return "unnamed-values";
    case WarningKind::kEmptyLabels:
      return "empty-labels";
    case WarningKind::kSkippedInput:
      return "skipped-input";
    case WarningKind::kRenamed:
      return "renamed";
    case WarningKind::kNotAGroup:
      return "not-a-group";
    case WarningKind::kValueChanged:
      return "value-changed";
    case WarningKind::kThresholded:
      return "thresholded";
    case WarningKind::kStandaloneSeg:
      return "standalone-seg";
    case WarningKind::kReferenceSeries:
      return "reference-series";
    case WarningKind::kOptionNotApplied:
      return "option-not-applied";
  }
  return "unknown";
}

}  // namespace medmask
