// cli/level_option.hpp: --level of `pack` and `convert`, spelled as the library spells levels
// (compression_level_name), so the CLI keeps no list of its own.
#pragma once

#include <string>

#include "medmask/archive.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace medmask::cli {

// Adds --level to command, storing the name given (checked against the library's level names;
// a usage error, exit 2, for any other) in level.
void add_level_option(CLI::App& command, std::string& level);

// WriteOptions at the level named level, which add_level_option has checked.
WriteOptions write_options_for_level(const std::string& level);

}  // namespace medmask::cli
