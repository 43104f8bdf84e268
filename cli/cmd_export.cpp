// cli/cmd_export.cpp: `medmask export`: an archive's structures to NIfTI, .seg.nrrd or .npz.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "medmask/dicom_seg.hpp"
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
  // dicom-seg only
  std::string reference;
  std::string seg_type = "auto";
  bool rle = false;
  bool jpeg_ls = false;
  bool keep_empty_frames = false;
  std::string algorithm;
};

void print_result(const std::vector<std::string>& files, const Warnings& warnings,
                  const ExportCommandOptions& options) {
  if (options.quiet) return;
  print_warnings(warnings);
  if (files.size() <= 4) {
    for (const std::string& file : files) std::cout << "wrote " << file << '\n';
  } else {
    std::cout << "wrote " << files.size() << " files to " << options.output << '\n';
  }
}

void run_export_dicom_seg(const MaskArchive& archive, const ExportCommandOptions& options) {
  DicomSegExportOptions seg_options;
  for (const std::string& name : options.names) {
    seg_options.names.push_back(archive.resolve_name(name));
  }
  seg_options.type = parse_dicom_seg_type(options.seg_type);
  seg_options.reference = options.reference;
  seg_options.rle = options.rle;
  seg_options.jpeg_ls = options.jpeg_ls;
  seg_options.omit_empty_frames = !options.keep_empty_frames;
  seg_options.algorithm_name = options.algorithm;
  const DicomSegExportResult result = export_dicom_seg(archive, options.output, seg_options);
  print_result(result.files, result.warnings, options);
}

void run_export(const ExportCommandOptions& options) {
  const bool dicom = options.format == "dicom-seg";
  if (options.format != "nifti-dir") require_output_folder(options.output);
  if (!dicom && (!options.reference.empty() || options.seg_type != "auto" || options.rle ||
                 options.jpeg_ls || options.keep_empty_frames || !options.algorithm.empty())) {
    throw ArgumentError(
        "--reference, --type, --rle, --jpeg-ls, --keep-empty-frames and --algorithm apply to --to "
        "dicom-seg "
        "only");
  }
  const MaskArchive archive(options.archive, OpenMode::kRead, std::nullopt, {}, read_limits());
  if (dicom) {
    run_export_dicom_seg(archive, options);
    return;
  }
  ExportOptions export_options;
  for (const std::string& name : options.names) {
    export_options.names.push_back(archive.resolve_name(name));
  }
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
      ".seg.nrrd, a NumPy .npz or a DICOM SEG");
  cmd->add_option("archive", options->archive, "archive (.mska)")->required();
  cmd->add_option("--to", options->format,
                  "nifti-dir, nifti-multilabel, seg.nrrd, npz or dicom-seg")
      ->required()
      ->check(CLI::IsMember({"nifti-dir", "nifti-multilabel", "seg.nrrd", "npz", "dicom-seg"}));
  cmd->add_option("-o,--output", options->output,
                  "folder (nifti-dir) or file (.nii.gz, .seg.nrrd, .npz, .dcm) to write")
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
  cmd->add_option("--reference", options->reference,
                  "dicom-seg: folder of the CT/MR series the mask was made on (patient, study, "
                  "frame of reference and per-frame source images are taken from it)");
  cmd->add_option("--type", options->seg_type,
                  "dicom-seg: auto (LABELMAP unless structures overlap, then BINARY), labelmap "
                  "(one file per exclusive layer when they overlap) or binary")
      ->check(CLI::IsMember({"auto", "labelmap", "binary"}));
  cmd->add_flag("--rle", options->rle, "dicom-seg: RLE Lossless pixel data (LABELMAP only)");
  cmd->add_flag("--jpeg-ls", options->jpeg_ls,
                "dicom-seg: JPEG-LS Lossless pixel data (LABELMAP only)");
  cmd->add_flag("--keep-empty-frames", options->keep_empty_frames,
                "dicom-seg: also write frames without any voxel of their segment");
  cmd->add_option("--algorithm", options->algorithm,
                  "dicom-seg: SegmentAlgorithmName (default MedMask)");
  cmd->add_flag("-q,--quiet", options->quiet, "print nothing on success");
  cmd->callback([options] { run_export(*options); });
}

}  // namespace medmask::cli
