// Hints go by structure, never by wording: an error's Remedy, a warning's WarningKind. The
// library may reword its messages freely; tests/python/test_error_messages.py checks that each
// hint still reaches the user.
#include "flag_hints.hpp"

namespace medmask::cli {

namespace {

// The flag that applies remedy; nullptr for a remedy no flag gives.
const char* flag_for(Remedy remedy) {
  switch (remedy) {
    case Remedy::kAllowUnnamedValues:
      return "--allow-unnamed does so";
    case Remedy::kGiveGeometry:
      return "--space-from reference.nii.gz, or --origin and --spacing (and --direction)";
    case Remedy::kBinarySegmentation:
      return "--type binary";
    case Remedy::kNone:
      break;
  }
  return nullptr;
}

}  // namespace

std::string with_flag_hint(const Error& error) {
  const char* hint = flag_for(error.remedy());
  return hint == nullptr ? std::string(error.what()) : error.what() + std::string("; ") + hint;
}

std::string with_flag_hint(const Warning& warning) {
  switch (warning.kind) {
    case WarningKind::kStandaloneSeg:
      return warning.text + "; --reference CT_FOLDER names the series";
    default:
      return warning.text;
  }
}

}  // namespace medmask::cli
