// medmask/seg_nrrd.hpp: 3D Slicer segmentation files (.seg.nrrd).
//
// A .seg.nrrd holds one or more label-map layers on one grid. With one layer it is a 3-D NRRD;
// with several, a 4-D NRRD whose first (fastest) axis is the layer, so layers interleave per
// voxel. Each segment has an ID, a name, a colour, a label value and the layer that holds it;
// a label value is unique only within its layer. Slicer always writes LPS; RAS is accepted.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "medmask/label_table.hpp"
#include "medmask/limits.hpp"
#include "medmask/space.hpp"
#include "medmask/volume.hpp"

namespace medmask {

struct SegNrrdSegment {
  Label label;              // name, label value (SegmentN_LabelValue), colour
  std::uint32_t layer = 0;  // SegmentN_Layer
  std::string id;           // SegmentN_ID; written as "Segment_<N>" when empty
  std::string tags;         // SegmentN_Tags as stored (terminology entries), may be empty
};

struct SegNrrd {
  Space space;
  std::vector<LabelVolume> layers;  // numpy (z, y, x) each, all on space's grid
  std::vector<SegNrrdSegment> segments;
};

// Throws IoError, FormatError (bad magic, missing or malformed field, data shorter than the
// sizes say, segment pointing at a missing layer), UnsupportedError (encodings other than raw
// and gzip, non-integer types, non-spatial axes other than the layer axis), ArgumentError
// (negative voxel values). A label NRRD without segment keys gets one segment per non-zero value,
// named "Segment_<value>". A detached header's "data file" must name one file beside it (no
// directory, no absolute path: UnsupportedError). LimitError when the grid (times the layers)
// exceeds limits.max_voxels.
SegNrrd read_seg_nrrd(const std::string& path, const ReadLimits& limits = {});

// Writes LPS, gzip-encoded, the smallest unsigned type that holds every layer, with Slicer's
// segment fields (ID, Name, Color, LabelValue, Layer, Extent, Tags). Atomic (temporary file and
// rename). Throws ArgumentError when layers differ in shape from the space or a segment names a
// missing layer.
void write_seg_nrrd(const std::string& path, const SegNrrd& segmentation, int gzip_level = 6);

}  // namespace medmask
