// cli/pack_sources.hpp: the single-file sources of `pack`: a multi-label NIfTI, a .seg.nrrd, a
// .npy/.npz, a file of the original medmask (docs/IMPORT_EXPORT.md).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "medmask/import.hpp"

namespace medmask::cli {

// The options of `pack` that only single-file sources use.
struct SourceOptions {
  std::string labels_file;  // --labels
  bool allow_unnamed = false;
  std::string space_from;  // --space-from reference image (NIfTI or .seg.nrrd)
  std::vector<double> origin, spacing, direction;
  AffineSource nifti_affine = AffineSource::kAuto;
  bool nonzero_inside = false;  // --nonzero-inside: a mask file of any non-zero value (0/255)

  bool any_label_option() const { return !labels_file.empty() || allow_unnamed; }
  bool any_geometry_option() const {
    return !space_from.empty() || !origin.empty() || !spacing.empty() || !direction.empty();
  }
};

// The case held by path, when path is a single-file source; nullopt when it is a NIfTI holding a
// binary mask (0/1, no label table given or stored): the caller packs it as one structure.
// Throws ArgumentError for options that do not apply to this kind of file, and as the readers.
std::optional<ImportedCase> import_single_source(const std::string& path,
                                                 const SourceOptions& options);

// The case held by the files of a multi-label export split into layers (export --to
// nifti-multilabel --split-layers: every file carries MedMask's label JSON with the structures'
// order), one entry per file; nullopt when paths are not all such files.
std::optional<ImportedCase> import_label_map_files(const std::vector<std::string>& paths,
                                                   const SourceOptions& options);

// The kind of source, for messages: "multi-label NIfTI", "Slicer segmentation", ...
std::string source_kind_name(const std::string& path);

// True when path (a file) is one of the single-file sources other than NIfTI.
bool is_non_nifti_source(const std::string& path);

}  // namespace medmask::cli
