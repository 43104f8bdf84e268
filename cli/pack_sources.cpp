// cli/pack_sources.cpp: reading the single-file sources of `pack`.
#include "pack_sources.hpp"

#include <algorithm>
#include <cctype>

#include "commands.hpp"
#include "inputs.hpp"
#include "medmask/dicom_seg.hpp"
#include "medmask/error.hpp"
#include "medmask/label_files.hpp"
#include "medmask/medmask_v1.hpp"
#include "medmask/seg_nrrd.hpp"

namespace medmask::cli {

namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool ends_with(const std::string& path, const std::string& suffix) {
  const std::string name = lower(path);
  return name.size() >= suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_nrrd(const std::string& path) { return ends_with(path, ".nrrd"); }
bool is_numpy(const std::string& path) {
  return ends_with(path, ".npy") || ends_with(path, ".npz");
}

Vec3 triple_of(const std::vector<double>& values, const char* option) {
  if (values.size() != 3) {
    throw ArgumentError(std::string(option) + " needs 3 numbers x,y,z, got " +
                        std::to_string(values.size()));
  }
  return {values[0], values[1], values[2]};
}

// The space of a reference image: a NIfTI or a .seg.nrrd.
Space reference_space(const std::string& path, AffineSource affine) {
  if (is_nrrd(path)) return read_seg_nrrd(path, read_limits()).space;
  NiftiReadOptions options;
  options.affine_source = affine;
  return read_nifti(path, options, read_limits()).space;
}

NumpyGeometry numpy_geometry(const SourceOptions& options) {
  NumpyGeometry geometry;
  if (!options.space_from.empty()) {
    geometry.space = reference_space(options.space_from, options.nifti_affine);
  }
  if (!options.origin.empty()) geometry.origin_lps = triple_of(options.origin, "--origin");
  if (!options.spacing.empty()) geometry.spacing_mm = triple_of(options.spacing, "--spacing");
  if (!options.direction.empty()) {
    if (options.direction.size() != 9) {
      throw ArgumentError(
          "--direction needs 9 numbers (the x, y and z axis directions in LPS, "
          "one after another), got " +
          std::to_string(options.direction.size()));
    }
    for (std::size_t axis = 0; axis < 3; ++axis) {
      for (std::size_t row = 0; row < 3; ++row) {
        geometry.direction[row][axis] = options.direction[axis * 3 + row];
      }
    }
  }
  if (!options.direction.empty() && !geometry.origin_lps && !geometry.space) {
    throw ArgumentError("--direction needs --origin and --spacing");
  }
  return geometry;
}

LabelMapOptions label_options(const SourceOptions& options) {
  LabelMapOptions out;
  if (!options.labels_file.empty()) out.labels = read_label_table_file(options.labels_file);
  out.allow_unnamed = options.allow_unnamed;
  return out;
}

void refuse_geometry(const SourceOptions& options, const std::string& path) {
  if (options.any_geometry_option()) {
    throw ArgumentError(path +
                            ": --space-from, --origin, --spacing and --direction apply to "
                            "NumPy inputs only; this file has its own geometry",
                        path);
  }
}

void refuse_labels(const SourceOptions& options, const std::string& path) {
  if (options.any_label_option()) {
    throw ArgumentError(path +
                            ": --labels and --allow-unnamed apply to label maps (NIfTI, .npy, "
                            ".npz); this file names its own structures",
                        path);
  }
}

}  // namespace

bool is_non_nifti_source(const std::string& path) {
  return is_nrrd(path) || is_numpy(path) || is_medmask_v1_file(path) || is_dicom_file(path);
}

std::string source_kind_name(const std::string& path) {
  if (is_nrrd(path)) return "Slicer segmentation";
  if (is_numpy(path)) return "NumPy array";
  if (is_medmask_v1_file(path)) return "medmask 0.1.x file";
  if (is_dicom_file(path)) return "DICOM SEG";
  return "NIfTI label map";
}

std::optional<ImportedCase> import_single_source(const std::string& path,
                                                 const SourceOptions& options) {
  if (is_nrrd(path)) {
    refuse_geometry(options, path);
    refuse_labels(options, path);
    return import_seg_nrrd(path, read_limits());
  }
  if (is_dicom_file(path)) {
    refuse_geometry(options, path);
    refuse_labels(options, path);
    return import_dicom_seg(path);
  }
  if (is_numpy(path)) return import_numpy(path, numpy_geometry(options), label_options(options));
  if (is_medmask_v1_file(path)) {
    refuse_geometry(options, path);
    refuse_labels(options, path);
    return import_medmask_v1(path, read_limits());
  }
  if (structure_name(path) == std::filesystem::path(path).filename().string()) {
    throw ArgumentError(path +
                            ": not a file pack reads (.nii, .nii.gz, .seg.nrrd, .nrrd, .npy, "
                            ".npz, or a .msk/.mska of the original medmask)",
                        path);
  }
  refuse_geometry(options, path);
  NiftiReadOptions nifti_options;
  nifti_options.affine_source = options.nifti_affine;
  NiftiImage image = read_nifti(path, nifti_options, read_limits());
  const bool named =
      options.any_label_option() || label_table_from_extensions(image.extensions, path).has_value();
  if (!named && (image.volume.max_value() <= 1 || options.nonzero_inside)) {
    return std::nullopt;  // a binary mask
  }
  return import_label_nifti(std::move(image), path, label_options(options));
}

std::optional<ImportedCase> import_label_map_files(const std::vector<std::string>& paths,
                                                   const SourceOptions& options) {
  if (paths.size() < 2 || options.any_label_option() || options.any_geometry_option()) {
    return std::nullopt;
  }
  for (const std::string& path : paths) {
    if (std::filesystem::is_directory(path) || is_non_nifti_source(path) ||
        structure_name(path) == std::filesystem::path(path).filename().string()) {
      return std::nullopt;
    }
  }
  NiftiReadOptions nifti_options;
  nifti_options.affine_source = options.nifti_affine;
  std::optional<ImportedCase> merged;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    NiftiImage image = read_nifti(path, nifti_options);
    if (!label_table_from_extensions(image.extensions, path)) return std::nullopt;
    ImportedCase one = import_label_nifti(std::move(image), path);
    if (one.order.empty()) return std::nullopt;  // not written by a multi-label export
    if (!merged) {
      merged = std::move(one);
      merged->entries.front().name = "layer0";
      continue;
    }
    if (!one.space.is_close(merged->space)) {
      throw ArgumentError(path + ": space differs from " + paths.front() +
                              "'s: the layers of one case share one grid",
                          path);
    }
    for (ImportedEntry& entry : one.entries) {
      entry.name = "layer" + std::to_string(i);
      entry.mask = SegmentationMask(entry.mask.volume(), entry.mask.labels(), merged->space);
      merged->entries.push_back(std::move(entry));
    }
    for (Warning& warning : one.warnings) merged->warnings.push_back(std::move(warning));
  }
  return merged;
}

}  // namespace medmask::cli
