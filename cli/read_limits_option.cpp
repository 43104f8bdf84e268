// cli/read_limits_option.cpp: --max-voxels, the read limit every subcommand applies to the files
// it reads (archives, NIfTI, .seg.nrrd, medmask 0.1.x).
#include <CLI/CLI.hpp>

#include "commands.hpp"

namespace medmask::cli {

namespace {

ReadLimits& limits_storage() {
  static ReadLimits limits;
  return limits;
}

}  // namespace

const ReadLimits& read_limits() { return limits_storage(); }

void register_read_limits(CLI::App& app) {
  app.add_option("--max-voxels", limits_storage().max_voxels,
                 "refuse (LimitError, exit 1) any grid of more voxels than this, before "
                 "allocating it; default 2^34. Lower it for untrusted files")
      ->check(CLI::PositiveNumber);
  // Accepted after the subcommand too: `medmask info x.mska --max-voxels 100000000`.
  app.fallthrough();
}

}  // namespace medmask::cli
