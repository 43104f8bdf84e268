// The phrases are the library's own (src/io/*.cpp); tests/python/test_error_messages.py checks
// that each still appears and gets its flag.
#include "flag_hints.hpp"

#include <array>
#include <utility>

namespace medmask::cli {

namespace {

// (phrase in a library message, what the CLI adds)
constexpr std::array<std::pair<const char*, const char*>, 4> kHints = {{
    {"allow unnamed values", "--allow-unnamed does so"},
    {"give a reference space, or an origin and a spacing",
     "--space-from reference.nii.gz, or --origin and --spacing (and --direction)"},
    {"write BINARY instead", "--type binary"},
    {"without a reference series", "--reference CT_FOLDER names the series"},
}};

}  // namespace

std::string with_flag_hint(const std::string& message) {
  for (const auto& [phrase, hint] : kHints) {
    if (message.find(phrase) != std::string::npos) return message + "; " + hint;
  }
  return message;
}

}  // namespace medmask::cli
