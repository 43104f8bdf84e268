// cli/flag_hints.hpp: the command-line flag that does what a library message asks for.
//
// Library messages say what to change in words every caller understands (C++, Python, CLI); the
// CLI adds the flag that does it, so no flag name reaches the library or Python.
#pragma once

#include <string>

#include "medmask/warning.hpp"

namespace medmask::cli {

// message with "; <flag hint>" appended when it asks for something a flag does; else message.
std::string with_flag_hint(const std::string& message);
// A library warning's text with "; <flag hint>" appended when a flag answers its kind.
std::string with_flag_hint(const Warning& warning);

}  // namespace medmask::cli
