// Errors carry no kind, so their hints go by phrase; warnings go by kind.
// The phrases are the library's own (src/io/*.cpp); tests/python/test_error_messages.py checks
// that each still appears and gets its flag.
#include "flag_hints.hpp"

#include <array>
#include <utility>

namespace medmask::cli {

namespace {

// (phrase in a library message, what the CLI adds)
constexpr std::array<std::pair<const char*, const char*>, 3> kHints = {{
    {"allow unnamed values", "--allow-unnamed does so"},
    {"give a reference space, or an origin and a spacing",
     "--space-from reference.nii.gz, or --origin and --spacing (and --direction)"},
    {"write BINARY instead", "--type binary"},
}};

}  // namespace

std::string with_flag_hint(const std::string& message) {
  for (const auto& [phrase, hint] : kHints) {
    if (message.find(phrase) != std::string::npos) return message + "; " + hint;
  }
  return message;
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
