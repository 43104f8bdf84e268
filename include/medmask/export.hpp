// medmask/export.hpp: an archive's structures written back to the formats other tools read.
//
// Formats and their choices are described in docs/IMPORT_EXPORT.md:
// - kNiftiDir: one uint8 0/1 NIfTI per structure (<name>.nii.gz) in a folder, with labels.json;
// - kNiftiMultilabel: one label-map NIfTI; it cannot hold overlap, so overlapping structures are
//   an error unless split_layers asks for one file per exclusive layer;
// - kSegNrrd: a 3D Slicer .seg.nrrd, one layer per archive entry (overlap kept exactly);
// - kNpz: a NumPy .npz with one (z, y, x) array per archive entry and a "medmask" JSON text
//   member giving the names, values, colours and the space.
// NIfTI files get sform and qform (same code, nifti_xform_code), the smallest unsigned type that
// holds the values, the label table in header extensions (see nifti.hpp) and a sidecar JSON.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "medmask/archive.hpp"
#include "medmask/warning.hpp"

namespace medmask {

enum class ExportFormat { kNiftiDir, kNiftiMultilabel, kSegNrrd, kNpz };

// "nifti-dir", "nifti-multilabel", "seg.nrrd" or "npz". Throws ArgumentError for other text.
ExportFormat parse_export_format(std::string_view text);

struct ExportOptions {
  std::vector<std::string> names;     // structures to export; empty = all, in archive order
  std::int16_t nifti_xform_code = 1;  // sform_code = qform_code (1 scanner, 2 aligned, ...)
  int gzip_level = 1;         // .nii.gz and .seg.nrrd, libdeflate's 0..12 (1: as nibabel, fast)
  bool split_layers = false;  // kNiftiMultilabel: one file per layer instead of an error
};

struct ExportResult {
  std::vector<std::string> files;  // every file written, sidecars included
  Warnings warnings;               // e.g. values without a name that were not exported
};

// Throws NotFoundError (unknown name), ArgumentError (overlap in kNiftiMultilabel without
// split_layers, naming two structures; a path with the wrong extension; a name unusable as a
// file name in kNiftiDir), IoError, FormatError (corrupt archive data).
ExportResult export_archive(const MaskArchive& archive, ExportFormat format,
                            const std::string& path, const ExportOptions& options = {});

// Throws ArgumentError when a structure name cannot name a file inside a folder: empty, "." or
// "..", a path separator or NUL (it would leave the folder), or a device name Windows reserves
// ("con", "nul", "com1" ...). Every exporter that makes file names from structure names uses it.
void check_structure_file_name(const std::string& name);

}  // namespace medmask
