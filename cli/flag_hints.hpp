// cli/flag_hints.hpp: the command-line flag that does what a library message asks for.
//
// Library messages say what to change in words every caller understands (C++, Python, CLI); the
// CLI adds the flag that does it, so no flag name reaches the library or Python.
#pragma once

#include <string>

#include "medmask/error.hpp"
#include "medmask/warning.hpp"

namespace medmask::cli {

// A library error's message with "; <flag hint>" appended when a flag gives its Remedy.
std::string with_flag_hint(const Error& error);
// A library warning's text with "; <flag hint>" appended when a flag answers its kind.
std::string with_flag_hint(const Warning& warning);

}  // namespace medmask::cli
