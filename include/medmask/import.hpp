// medmask/import.hpp: one case from a file of another tool, ready to add to a MaskArchive.
//
// Label maps (a multi-label NIfTI, a .npy, Slicer's layers, an entry of an original medmask
// file) are kept as they are: each becomes one archive entry (MaskArchive::add_mask), so values
// and layers survive exactly. Binary arrays of an .npz without MedMask's JSON become structures
// (MaskArchive::add_structure). Sources and policies: docs/IMPORT_EXPORT.md.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "medmask/archive.hpp"
#include "medmask/limits.hpp"
#include "medmask/nifti.hpp"
#include "medmask/warning.hpp"

namespace medmask {

struct ImportedEntry {
  std::string name;  // entry name in the archive
  SegmentationMask mask;
};

struct ImportedStructure {
  std::string name;
  LabelVolume binary;  // non-zero = inside
  Label label;         // colour, description, concept (name and value are set by the archive)
};

struct ImportedGroup {
  std::string name;
  std::vector<std::string> members;  // structures or groups defined before it
  Label label;
};

struct ImportedCase {
  Space space;
  std::vector<ImportedEntry> entries;
  std::vector<ImportedStructure> structures;
  std::vector<ImportedGroup> groups;  // MedMask's own .npz only
  // The structures' order when the file gives one that adding the entries does not (MedMask's
  // own exports write the archive's order); empty: the order they were added in.
  std::vector<std::string> order;
  Warnings warnings;  // for the user: chosen affine, unnamed or absent labels...
};

struct LabelMapOptions {
  // Names of the values. Without it: the file's own (a NIfTI label extension, MedMask's .npz
  // JSON); without those, every non-zero value v present becomes "label_<v>".
  std::optional<LabelTable> labels;
  // Values present but missing from a given table: false = ArgumentError listing them, true =
  // named "label_<v>" with a warning. Named values without voxels are kept as empty structures
  // (as TotalSegmentator keeps empty masks), with a warning counting them.
  bool allow_unnamed = false;
};

// A multi-label NIfTI as one entry "layer0". Throws as read_nifti, and ArgumentError for the
// label policy above.
ImportedCase import_label_nifti(const std::string& path, const LabelMapOptions& options = {},
                                const NiftiReadOptions& nifti_options = {});
// The same for an image already read (path names it in messages).
ImportedCase import_label_nifti(NiftiImage image, const std::string& path,
                                const LabelMapOptions& options = {});

// A .seg.nrrd: one entry per layer ("layer<N>"), segment name, value and colour kept.
ImportedCase import_seg_nrrd(const std::string& path, const ReadLimits& limits = {});

// Where the geometry of a NumPy file comes from: a whole Space (from a reference image; its
// shape must equal the arrays' reversed), or an origin, spacing and directions that take the
// arrays' shape. Directions: columns = the unit directions of the x, y and z axes in LPS.
struct NumpyGeometry {
  std::optional<Space> space;
  std::optional<Vec3> origin_lps;
  std::optional<Vec3> spacing_mm;
  Mat3 direction{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
  bool given() const noexcept { return space || origin_lps || spacing_mm; }
};

// A .npy or .npz. Geometry is required unless the .npz holds MedMask's JSON; when both are
// given they must agree (1e-4 mm at the corners). A .npy is one label map ("layer0"). An .npz
// with MedMask's JSON gives its layers and groups back; otherwise each 0/1 array becomes a
// structure named after the member and each array with larger values a label map (an entry
// named after the member). Throws ArgumentError (no geometry, origin without spacing, an array
// whose shape differs from the space's), and as read_npy/read_npz.
ImportedCase import_numpy(const std::string& path, const NumpyGeometry& geometry,
                          const LabelMapOptions& options = {});

// A file of the original medmask 0.1.x (.msk or .mska): one entry per stored mask, bit-exact.
ImportedCase import_medmask_v1(const std::string& path, const ReadLimits& limits = {});

// Adds every entry (add_mask), structure (add_structure, unions not recognised: each keeps its
// voxels) and group (add_group) of the case, then puts the structures in the case's order.
// Throws as those do.
void add_imported(MaskArchive& archive, const ImportedCase& imported);

}  // namespace medmask
