// cli/cmd_convert.cpp: `medmask convert`: a file of the original medmask 0.1.x to the current
// format, every entry kept bit for bit (as an entry of the same name, dtype and values); a
// current archive coded again at another --level, everything else kept.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "commands.hpp"
#include "inputs.hpp"
#include "level_option.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "medmask/import.hpp"
#include "medmask/medmask_v1.hpp"
#include "medmask/replace_file.hpp"
#include "new_archive.hpp"
#include "text.hpp"

namespace medmask::cli {
namespace {
namespace fs = std::filesystem;

struct ConvertOptions {
  std::string input;
  std::string output;
  std::string level = "default";
  bool quiet = false;
};

// An error of reading the copy names the copy, a temporary file the user never sees: name the
// input it was copied from instead.
Error naming_input(const Error& e, const std::string& temporary, const std::string& input) {
  std::string message = e.what();
  if (message.starts_with(temporary)) message.replace(0, temporary.size(), input);
  return Error(e.code(), message, input, e.offset(), e.remedy());
}

// A current archive: copied to a temporary file next to the output, every entry coded again at
// the level, renamed over the output (so that output may equal input). The library writes new
// archives only from what it is given, and recode() works on a file, hence the copy.
void recode_archive(const ConvertOptions& options) {
  const std::uint64_t bytes_in = fs::file_size(options.input);
  static constexpr char kMagic[8] = {'\x89', 'M', 'S', 'K', '\r', '\n', '\x1a', '\n'};
  char head[8] = {};
  std::ifstream(options.input, std::ios::binary).read(head, sizeof head);
  if (!std::equal(head, head + 8, kMagic)) {
    throw ArgumentError(options.input +
                            ": neither a MedMask archive nor a file of the original medmask 0.1.x "
                            "(magic MSK1 or MSKA)",
                        options.input);
  }
  replace_file(options.output, [&](const std::string& temporary) {
    fs::copy_file(options.input, temporary, fs::copy_options::overwrite_existing);
    try {
      MaskArchive archive(temporary, OpenMode::kAppend, std::nullopt,
                          write_options_for_level(options.level), read_limits());
      archive.recode();
    } catch (const Error& e) {
      throw naming_input(e, temporary, options.input);
    }
  });
  if (options.quiet) return;
  const MaskArchive written(options.output, OpenMode::kRead);
  std::cout << "recoded " << options.input << " (" << with_commas(bytes_in) << " bytes) to "
            << options.output << " at level " << options.level << " ("
            << written.structures().size() << " structures, "
            << with_commas(fs::file_size(options.output)) << " bytes)\n";
}

void run_convert(const ConvertOptions& options) {
  if (!fs::exists(options.input)) {
    throw IoError(options.input + ": no such file", options.input);
  }
  require_output_folder(options.output);
  if (!is_medmask_v1_file(options.input)) return recode_archive(options);
  const ImportedCase imported = import_medmask_v1(options.input, read_limits());
  {  // read whole before writing, so output may equal input
    NewArchive archive;
    archive.create(options.output, imported.space, write_options_for_level(options.level));
    add_imported(*archive, imported);
    archive.commit();
  }
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
      "convert",
      "Convert a .msk/.mska of the original medmask 0.1.x to the current format, or code a "
      "current archive again at another --level (everything else kept)");
  cmd->add_option("input", options->input,
                  "file of medmask 0.1.x (.msk or .mska), or a current archive")
      ->required();
  cmd->add_option("-o,--output", options->output, "archive to write (.mska); may be the input")
      ->required();
  add_level_option(*cmd, options->level);
  cmd->add_flag("-q,--quiet", options->quiet, "print nothing on success");
  cmd->callback([options] { run_convert(*options); });
}

}  // namespace medmask::cli
