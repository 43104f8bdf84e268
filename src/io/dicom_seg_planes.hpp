// dicom_seg_planes.hpp (internal): the planes a SEG's frames lie on, and how to cut a mask on them.
//
// Frames follow a reference series when one is given (its images in slice order, their exact
// position strings and UIDs), else the mask's own k-slices. Either way a SEG pixel (row y,
// column x) of plane s is the mask voxel at flat (z, y, x) index
//   flat0 + x * stride_x + y * stride_y + s * stride_s
// inside the valid ranges (a series may extend beyond the mask; those pixels are 0).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "medmask/space.hpp"
#include "medmask/volume.hpp"

class DcmDataset;

namespace medmask::io {

struct ReferenceImage {
  std::string path;
  std::string sop_class_uid, sop_instance_uid;
  std::string position;  // ImagePositionPatient as stored (DS backslash text)
  Vec3 position_lps{};
};

// The series a SEG is derived from. header holds the first image's attributes (no pixel data).
struct ReferenceSeries {
  std::string folder;
  std::vector<ReferenceImage> images;      // sorted along the slice normal
  std::string orientation, pixel_spacing;  // as stored
  Vec3 row_dir{}, col_dir{};               // IOP: direction of increasing column, row index
  double spacing_x = 0, spacing_y = 0;     // between columns, between rows (mm)
  std::int64_t rows = 0, cols = 0;
  std::string series_uid, study_uid, frame_of_reference_uid;
  std::shared_ptr<DcmDataset> header;
  std::vector<std::string> notes;  // untidy series: what was missing and what was used instead
};

// Reads the single-frame images of folder (any file order; files that are not DICOM images are
// skipped with a note). Throws FormatError naming the folder or file (no image, two series,
// different orientations or sizes, missing position), IoError.
ReferenceSeries read_reference_series(const std::string& folder);

struct PlaneGrid {
  std::int64_t rows = 0, cols = 0, planes = 0;
  std::string orientation;            // IOP text
  std::string pixel_spacing;          // "row\\column" spacing text
  double slice_spacing = 0;           // mm between planes
  std::vector<std::string> position;  // IPP text per plane
  std::vector<Vec3> position_lps;
  const ReferenceSeries* reference = nullptr;  // images[s] is plane s's source
  // pixel -> mask voxel
  std::int64_t flat0 = 0, stride_x = 0, stride_y = 0, stride_s = 0;
  std::int64_t x_begin = 0, x_end = 0, y_begin = 0, y_end = 0, s_begin = 0, s_end = 0;
};

// The mask's own k-slices.
PlaneGrid planes_of_space(const Space& space);
// The reference's images. Throws FormatError naming the file whose pixels miss the mask's voxel
// centres (more than a tenth of a voxel), whose axes are not the mask's (in any order and
// direction), or when the mask reaches beyond the series.
PlaneGrid planes_of_reference(const Space& space, const ReferenceSeries& series);

// Plane s of volume as rows x cols values (row-major), 0 outside the mask.
void cut_plane(const LabelVolume& volume, const PlaneGrid& grid, std::int64_t s,
               std::vector<std::uint32_t>& out);

// A DS value (at most 16 characters) for x.
std::string ds_text(double x);

}  // namespace medmask::io
