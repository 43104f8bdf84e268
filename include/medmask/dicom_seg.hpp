// medmask/dicom_seg.hpp: DICOM Segmentation (SEG) objects written from an archive and read back.
//
// Two kinds are written (docs/IMPORT_EXPORT.md, "DICOM SEG"):
// - BINARY (Segmentation Storage, 1.2.840.10008.5.1.4.1.1.66.4): one 1-bit frame per (segment,
//   slice) holding it; segments may overlap. Read by every SEG reader.
// - LABELMAP (Label Map Segmentation Storage, 1.2.840.10008.5.1.4.1.1.66.7, DICOM Supplement
//   243): one 8/16-bit frame per slice whose pixel value is the segment number; exclusive only.
// Frames follow the planes of a reference CT/MR series when one is given (its patient, study,
// frame of reference and equipment are copied and every frame references its source image),
// else the mask's own k-slices with new UIDs. Reading accepts BINARY, FRACTIONAL (thresholded)
// and LABELMAP instances.
#pragma once

#include <string>
#include <vector>

#include "medmask/archive.hpp"
#include "medmask/import.hpp"
#include "medmask/warning.hpp"

namespace medmask {

enum class DicomSegType {
  kAuto,      // LABELMAP when the chosen structures do not overlap, else one BINARY instance
  kLabelmap,  // LABELMAP; overlapping structures give one instance per exclusive layer
  kBinary,    // one BINARY instance
};

// "auto", "labelmap" or "binary". Throws ArgumentError for other text.
DicomSegType parse_dicom_seg_type(const std::string& text);

struct DicomSegExportOptions {
  std::vector<std::string> names;  // structures or groups to write; empty = every structure
  DicomSegType type = DicomSegType::kAuto;
  std::string reference;  // folder of the source series (DICOM files); empty = standalone
  // Leave out frames without any voxel (BINARY: of their segment; LABELMAP: of any); the first
  // and last planes always keep a frame so that readers find the grid's extent.
  bool omit_empty_frames = true;
  bool rle = false;      // LABELMAP: RLE Lossless transfer syntax (else Explicit VR Little Endian)
  bool jpeg_ls = false;  // LABELMAP: JPEG-LS Lossless (DCMTK's dcmjpls); not with rle
  std::string algorithm_name;     // SegmentAlgorithmName; empty = "MedMask"
  std::string algorithm_version;  // SegmentAlgorithmVersion (the software version by default)
  std::string series_description = "Segmentation";
};

struct DicomSegExportResult {
  std::vector<std::string> files;
  Warnings warnings;  // standalone SEG, notes about an untidy reference series
};

// Writes path (".dcm"; with kLabelmap and overlap: <stem>_layer<N>.dcm). Throws NotFoundError
// (unknown name), ArgumentError (no structure to write, more than 65535 segments in a LABELMAP),
// FormatError (a reference series whose planes do not hold the mask's voxel centres, naming
// the file; no image in the reference folder), IoError.
DicomSegExportResult export_dicom_seg(const MaskArchive& archive, const std::string& path,
                                      const DicomSegExportOptions& options = {});

// FRACTIONAL frames are thresholded: a voxel is inside when its value is at least half of
// MaximumFractionalValue (as highdicom's and dcmqi's binary conversions), with a warning.
inline constexpr double kFractionalThreshold = 0.5;

// A SEG instance (file) or a folder of instances of one segmentation on one frame of reference.
// LABELMAP instances become one entry each, values = segment numbers; BINARY and FRACTIONAL
// segments become structures. Names (SegmentLabel), colours (CIELab -> sRGB) and the segmented
// property type code are kept. Geometry: LPS from the per-frame plane positions and the shared
// orientation. Throws FormatError (not a SEG, missing geometry, non-uniform slice spacing,
// frames missing inside a segment's extent is allowed but positions off the slice grid are not),
// IoError.
ImportedCase import_dicom_seg(const std::string& path);

// True when path is a DICOM file (a "DICM" preamble) or a folder holding one.
bool is_dicom_file(const std::string& path);

}  // namespace medmask
