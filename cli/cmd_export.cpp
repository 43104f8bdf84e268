// cli/cmd_export.cpp: `medmask export`: an archive's structures to NIfTI, .seg.nrrd or .npz.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "medmask/error.hpp"
#include "medmask/export.hpp"
#include "warnings.hpp"

namespace medmask::cli {
namespace {

struct ExportCommandOptions {
  std::string archive;
  std::string format;
  std::string output;
  std::vector<std::string> names;
  bool split_layers = false;
  int xform_code = 1;
  bool quiet = false;
};

void run_export(const ExportCommandOptions& options) {
  const MaskArchive archive(options.archive, OpenMode::kRead);
  ExportOptions export_options;
  export_options.names = options.names;
  export_options.split_layers = options.split_layers;
  export_options.nifti_xform_code = static_cast<std::int16_t>(options.xform_code);
  const ExportFormat format = parse_export_format(options.format);
  if (options.split_layers && format != ExportFormat::kNiftiMultilabel) {
    throw ArgumentError("--split-layers applies to --to nifti-multilabel only");
  }
  ExportResult result;
  try {
    result = export_archive(archive, format, options.output, export_options);
  } catch (const ArgumentError& error) {
    // The library names no flag (its messages reach Python users too); here they are the way
    // out of a label map that cannot hold the overlap.
    if (format != ExportFormat::kNiftiMultilabel || options.split_layers) throw;
    throw ArgumentError(std::string(error.what()) +
                            " (--names selects structures, --split-layers writes one file per "
                            "layer)",
                        error.path());
  }
  if (options.quiet) return;
  print_warnings(result.warnings);
  // Only a folder export is summed up: its folder is what -o named. Other targets list their
  // files (--split-layers writes <stem>_layer<N> files, never the -o name itself).
  if (result.files.size() <= 4 || format != ExportFormat::kNiftiDir) {
    for (const std::string& file : result.files) std::cout << "wrote " << file << '\n';
  } else {
    std::cout << "wrote " << result.files.size() << " files to " << options.output << '\n';
  }
}

}  // namespace

void register_export(CLI::App& app) {
  auto options = std::make_shared<ExportCommandOptions>();
  CLI::App* cmd = app.add_subcommand(
      "export",
      "Write an archive's structures as NIfTI (a folder or one label map), a Slicer "
      ".seg.nrrd or a NumPy .npz");
  cmd->add_option("archive", options->archive, "archive (.mska)")->required();
  cmd->add_option("--to", options->format, "nifti-dir, nifti-multilabel, seg.nrrd or npz")
      ->required()
      ->check(CLI::IsMember({"nifti-dir", "nifti-multilabel", "seg.nrrd", "npz"}));
  cmd->add_option("-o,--output", options->output,
                  "folder (nifti-dir) or file (.nii.gz, .seg.nrrd, .npz) to write")
      ->required();
  cmd->add_option("--names", options->names,
                  "structures (or groups) to write, comma-separated; default: all")
      ->delimiter(',');
  cmd->add_flag("--split-layers", options->split_layers,
                "nifti-multilabel: write overlapping structures as one file per layer "
                "(<name>_layer<N>.nii.gz) instead of failing");
  cmd->add_option("--xform-code", options->xform_code,
                  "NIfTI sform_code and qform_code: 1 scanner (default), 2 aligned, 3 Talairach, "
                  "4 MNI, 5 template")
      ->check(CLI::Range(1, 5));
  cmd->add_flag("-q,--quiet", options->quiet, "print nothing on success");
  cmd->callback([options] { run_export(*options); });
}

}  // namespace medmask::cli
