// cli/commands.hpp: the subcommands of the medmask tool, each in its own cmd_<name>.cpp.
//
// Each register_* adds one subcommand to the app with a callback that does the work; the callback
// runs inside CLI::App::parse and reports failure by throwing (main.cpp prints the one error line).
#pragma once

#include <stdexcept>

#include "medmask/limits.hpp"

namespace CLI {
class App;
}  // namespace CLI

namespace medmask::cli {

void register_pack(CLI::App& app);
void register_info(CLI::App& app);
void register_extract(CLI::App& app);
void register_verify(CLI::App& app);
void register_export(CLI::App& app);
void register_convert(CLI::App& app);
// --max-voxels on the main app (also accepted after a subcommand); read_limits() holds its value.
void register_read_limits(CLI::App& app);
const ReadLimits& read_limits();

// Thrown by a command that has already printed why it failed (verify's mismatch report): main
// exits 1 without printing an error line.
class ReportedFailure : public std::runtime_error {
 public:
  ReportedFailure() : std::runtime_error("failure already reported") {}
};

}  // namespace medmask::cli
