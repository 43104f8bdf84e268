// export_layers.hpp (internal): the structures an export writes, packed into exclusive label maps.
//
// Exports read every structure as a binary mask (so structures stored in several parts, and
// groups, come out as the voxels a reader sees) and pack them again: formats other than .mska
// know nothing of the archive's entries. Packing is first fit, and a structure keeps its value
// in the archive when the layer it lands in has it free.
#pragma once

#include <string>
#include <vector>

#include "medmask/archive.hpp"
#include "medmask/warning.hpp"

namespace medmask::io {

// What to export: names resolved to structures (with voxels) and groups (unions of structures).
struct Selection {
  std::vector<std::string> structures;  // in archive order, or as the caller listed them
  std::vector<std::string> groups;
};

// names empty: every structure and group of the archive. Throws NotFoundError.
Selection select_structures(const MaskArchive& archive, const std::vector<std::string>& names);

struct ExportLayer {
  std::string name;    // the archive entry it mirrors, or "layer<N>"
  LabelVolume volume;  // values of the structures in labels; 0 elsewhere
  LabelTable labels;   // in the order the structures were placed
};

enum class Packing {
  kFirstFit,       // as few layers as possible (nifti-multilabel, seg.nrrd)
  kLayerPerEntry,  // one layer per archive entry holding a structure's (first) part, in the
                   // entry's dtype: an archive of exclusive entries comes back bit for bit (npz)
};

// Reads each of names (structures or groups: a group gives its union) and packs them in order
// (for kLayerPerEntry, grouped by entry first). Structures that change value are listed in one
// warning.
std::vector<ExportLayer> pack_for_export(const MaskArchive& archive,
                                         const std::vector<std::string>& names, Packing packing,
                                         Warnings& warnings);

// Why a and b cannot be one label map: two overlapping structures, the overlap's voxel count and
// its first voxel (i, j, k).
std::string overlap_description(const ExportLayer& a, const ExportLayer& b);

}  // namespace medmask::io
