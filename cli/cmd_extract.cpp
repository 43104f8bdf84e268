// cli/cmd_extract.cpp: `medmask extract`: structures of an archive back to NIfTI binary masks.
#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "medmask/export.hpp"
#include "medmask/nifti.hpp"

namespace medmask::cli {
namespace {
namespace fs = std::filesystem;

struct ExtractOptions {
  std::string archive;
  std::vector<std::string> names;
  std::string output;
  bool union_of_names = false;
  bool quiet = false;
};

// The stored names of the names typed (an ambiguous plain name is refused, naming the qualified
// ones).
std::vector<std::string> checked_names(const MaskArchive& archive,
                                       const std::vector<std::string>& names) {
  std::string unknown;
  for (const std::string& name : names) {
    if (!archive.contains(name)) unknown += (unknown.empty() ? "'" : ", '") + name + "'";
  }
  if (!unknown.empty()) {
    throw NotFoundError(archive.path() + ": no structure named " + unknown + " (" +
                            std::to_string(archive.structures().size()) +
                            " structures; `medmask info` lists them)",
                        archive.path());
  }
  std::vector<std::string> stored;
  for (const std::string& name : names) stored.push_back(archive.resolve_name(name));
  return stored;
}

void check_nifti_path(const std::string& path) {
  if (structure_name(fs::path(path)) == fs::path(path).filename().string()) {
    throw ArgumentError(path + ": output file must end in .nii.gz or .nii", path);
  }
}

void write_one(const MaskArchive& archive, const LabelVolume& mask, const std::string& path,
               bool quiet) {
  write_nifti(path, mask, archive.space());
  if (!quiet) std::cout << "wrote " << path << '\n';
}

void run_extract(const ExtractOptions& options) {
  const MaskArchive archive(options.archive, OpenMode::kRead, std::nullopt, {}, read_limits());
  const std::vector<std::string> names = checked_names(archive, options.names);
  const fs::path output(options.output);

  if (options.union_of_names) {
    check_nifti_path(options.output);
    write_one(archive, archive.read_structures(names), options.output, options.quiet);
    return;
  }
  // A trailing '/' or an existing folder asks for a folder, even for one name.
  const bool folder_asked = fs::is_directory(output) || options.output.ends_with('/');
  if (options.names.size() == 1 && !folder_asked) {
    check_nifti_path(options.output);
    write_one(archive, archive.read_structure(names[0]), options.output, options.quiet);
    return;
  }
  if (!folder_asked && structure_name(output) != output.filename().string()) {
    throw ArgumentError(options.output + ": names a NIfTI file, but " +
                            std::to_string(options.names.size()) +
                            " structures go to a folder of one file each; give a folder, or "
                            "--union for their union in one file",
                        options.output);
  }
  for (const std::string& name : names) check_structure_file_name(name);
  std::error_code ec;
  fs::create_directories(output, ec);
  if (ec || !fs::is_directory(output)) {
    throw IoError(options.output + ": cannot create folder: " +
                      (ec ? ec.message() : std::string("a file of that name exists")),
                  options.output);
  }
  for (const std::string& name : names) {
    write_one(archive, archive.read_structure(name), (output / (name + ".nii.gz")).string(),
              options.quiet);
  }
}

}  // namespace

void register_extract(CLI::App& app) {
  auto options = std::make_shared<ExtractOptions>();
  CLI::App* cmd = app.add_subcommand(
      "extract",
      "Write structures as uint8 0/1 NIfTI masks: one name to a file, several to a folder");
  cmd->add_option("archive", options->archive, "archive (.mska)")->required();
  cmd->add_option("names", options->names, "structure names")->required();
  cmd->add_option("-o,--output", options->output,
                  "output .nii.gz file (one name or --union) or folder (several names)")
      ->required();
  cmd->add_flag("--union", options->union_of_names, "write the union of the names into one file");
  cmd->add_flag("-q,--quiet", options->quiet, "print nothing on success");
  cmd->callback([options] { run_extract(*options); });
}

}  // namespace medmask::cli
