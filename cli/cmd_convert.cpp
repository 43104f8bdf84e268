// cli/cmd_convert.cpp: `medmask convert`: a file of the original medmask 0.1.x to the current
// format, every entry kept bit for bit (as an entry of the same name, dtype and values).
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "medmask/error.hpp"
#include "medmask/import.hpp"
#include "medmask/medmask_v1.hpp"
#include "text.hpp"

namespace medmask::cli {
namespace {
namespace fs = std::filesystem;

struct ConvertOptions {
  std::string input;
  std::string output;
  bool quiet = false;
};

void run_convert(const ConvertOptions& options) {
  if (!fs::exists(options.input)) {
    throw IoError(options.input + ": no such file", options.input);
  }
  if (!is_medmask_v1_file(options.input)) {
    throw ArgumentError(options.input +
                            ": not a file of the original medmask 0.1.x (magic MSK1 or MSKA); "
                            "current archives need no conversion",
                        options.input);
  }
  const ImportedCase imported = import_medmask_v1(options.input, read_limits());
  // Written next to the target and renamed over it, so that output may equal input.
  const std::string scratch = options.output + ".tmp-convert";
  try {
    MaskArchive archive(scratch, OpenMode::kWrite, imported.space);
    add_imported(archive, imported);
    archive.commit();
  } catch (...) {
    std::error_code ignored;
    fs::remove(scratch, ignored);
    throw;
  }
  fs::rename(scratch, options.output);
  if (options.quiet) return;
  const MaskArchive written(options.output, OpenMode::kRead);
  std::cout << "converted " << options.input << " (" << imported.entries.size() << " entr"
            << (imported.entries.size() == 1 ? "y" : "ies") << ", "
            << with_commas(fs::file_size(options.input)) << " bytes) to " << options.output << " ("
            << written.structures().size() << " structures, "
            << with_commas(fs::file_size(options.output)) << " bytes)\n";
}

}  // namespace

void register_convert(CLI::App& app) {
  auto options = std::make_shared<ConvertOptions>();
  CLI::App* cmd = app.add_subcommand(
      "convert", "Convert a .msk/.mska of the original medmask 0.1.x to the current format");
  cmd->add_option("input", options->input, "file of medmask 0.1.x (.msk or .mska)")->required();
  cmd->add_option("-o,--output", options->output, "archive to write (.mska)")->required();
  cmd->add_flag("-q,--quiet", options->quiet, "print nothing on success");
  cmd->callback([options] { run_convert(*options); });
}

}  // namespace medmask::cli
