// medmask/nifti.hpp: reading and writing NIfTI-1 label images (.nii and .nii.gz).
//
// Voxels come back as a LabelVolume in numpy (z, y, x) order, which is NIfTI's own disk order
// (i fastest), so no transposition happens. The affine is chosen as nibabel does (sform if
// sform_code > 0, else qform if qform_code > 0, else the pixdim fall-back) unless the options
// say otherwise, and converted exactly from RAS to an LPS Space.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "medmask/label_table.hpp"
#include "medmask/limits.hpp"
#include "medmask/space.hpp"
#include "medmask/volume.hpp"
#include "medmask/warning.hpp"

namespace medmask {

struct NiftiExtension {
  std::int32_t code = 0;  // ecode: 0 unknown (TotalSegmentator's label XML), 6 comment, ...
  std::string data;       // payload, padding included
};

// kAuto: nibabel's precedence (codes outside 0..5 count as 0, as nibabel fixes them on load);
// a sheared sform falls back to a coded qform with a warning (as ITK does). kSform / kQform
// force that transform and throw ArgumentError when its code is 0 (the field is not set).
enum class AffineSource { kAuto, kSform, kQform };

struct NiftiReadOptions {
  AffineSource affine_source = AffineSource::kAuto;
};

struct NiftiImage {
  LabelVolume volume;  // smallest unsigned dtype that holds the values (uint8 for masks)
  Space space;
  std::string affine_used;  // "sform", "qform" or "fallback"
  std::int16_t sform_code = 0;
  std::int16_t qform_code = 0;
  std::vector<NiftiExtension> extensions;
  Warnings warnings;  // e.g. sform and qform disagree by more than 1e-3 mm
};

// Throws IoError (cannot open), FormatError (bad header, truncated data, corrupt gzip),
// UnsupportedError (4-D with more than one volume, complex or RGB data), ArgumentError (negative
// or non-integer voxel values: masks must hold labels).
// limits: a grid beyond limits.max_voxels raises LimitError before the voxels are read.
NiftiImage read_nifti(const std::string& path, const NiftiReadOptions& options = {},
                      const ReadLimits& limits = {});
NiftiImage read_nifti_bytes(std::span<const std::uint8_t> bytes, const std::string& name,
                            const NiftiReadOptions& options = {}, const ReadLimits& limits = {});

struct NiftiWriteOptions {
  int gzip_level = 6;           // used when the path ends in .gz
  std::int16_t xform_code = 1;  // written as both sform_code and qform_code (1 = scanner)
  std::vector<NiftiExtension> extensions;
};

// Writes volume as NIfTI-1 with sform and a matching qform; dtype bool is written as uint8.
// .nii.gz paths are gzipped. Written atomically (temporary file, then rename).
void write_nifti(const std::string& path, const LabelVolume& volume, const Space& space,
                 const NiftiWriteOptions& options = {});

// Label names in NIfTI header extensions (docs/IMPORT_EXPORT.md). MedMask writes two records:
// ecode 0 with TotalSegmentator's Caret XML (names and colours, read by TotalSegmentator's tools)
// and ecode 6 (comment) with MedMask's label JSON {"medmask_labels": 1, "labels": [{"name",
// "value", "color", "description", "concept"}]}, which also keeps descriptions and concepts.
inline constexpr std::int32_t kNiftiEcodeCaretLabels = 0;  // as TotalSegmentator writes it
inline constexpr std::int32_t kNiftiEcodeComment = 6;
std::vector<NiftiExtension> label_table_extensions(const LabelTable& table);

// The label table held in extensions: MedMask's JSON if present, else the first Caret XML label
// table (ecode 0 or 30); nullopt when there is none. Throws FormatError for a malformed one.
std::optional<LabelTable> label_table_from_extensions(const std::vector<NiftiExtension>& extensions,
                                                      const std::string& source_name);

}  // namespace medmask
