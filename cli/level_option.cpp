// cli/level_option.cpp: --level of `pack` and `convert` (see level_option.hpp).
#include "level_option.hpp"

#include <CLI/CLI.hpp>
#include <vector>

namespace medmask::cli {

void add_level_option(CLI::App& command, std::string& level) {
  std::vector<std::string> names;
  for (const CompressionLevel known :
       {CompressionLevel::kFast, CompressionLevel::kDefault, CompressionLevel::kMax}) {
    names.emplace_back(compression_level_name(known));
  }
  command
      .add_option("--level", level,
                  "codec effort: fast, default or max (smallest file); default: default")
      ->check(CLI::IsMember(names));
}

WriteOptions write_options_for_level(const std::string& level) {
  WriteOptions out;
  out.level = compression_level_from_name(level).value_or(CompressionLevel::kDefault);
  return out;
}

}  // namespace medmask::cli
