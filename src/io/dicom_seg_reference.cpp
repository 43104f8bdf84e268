// dicom_seg_reference: the source series of a SEG, read tolerantly (real series are untidy).
#include <dcmtk/dcmdata/dctk.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include "io/dicom_seg_dataset.hpp"
#include "io/dicom_seg_planes.hpp"
#include "medmask/error.hpp"

namespace medmask::io {
namespace {

std::string text_of(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  return value.c_str();
}

bool parse_numbers(const std::string& text, std::size_t count, double* out) {
  std::size_t start = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t end = text.find('\\', start);
    if ((end == std::string::npos) != (i + 1 == count)) return false;
    try {
      out[i] = std::stod(text.substr(start, end - start));
    } catch (const std::exception&) {
      return false;
    }
    if (!std::isfinite(out[i])) return false;
    start = end + 1;
  }
  return true;
}

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

// Counts notes of one kind so that a 500-file series gives one line, not 500.
struct NoteCounter {
  std::map<std::string, std::pair<std::size_t, std::string>> counts;  // note -> (files, first)
  void add(const std::string& note, const std::string& file) {
    auto& entry = counts[note];
    if (entry.first++ == 0) entry.second = file;
  }
  void flush(std::vector<std::string>& out, const std::string& folder) const {
    for (const auto& [note, entry] : counts) {
      out.push_back(folder + ": " + note + " in " + std::to_string(entry.first) +
                    (entry.first == 1 ? " file (" : " files (first: ") +
                    std::filesystem::path(entry.second).filename().string() + ")");
    }
  }
};

}  // namespace

ReferenceSeries read_reference_series(const std::string& folder) {
  namespace fs = std::filesystem;
  quiet_dcmtk();
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw IoError(folder + ": the reference series must be a folder of its DICOM files", folder);
  }
  std::vector<std::string> paths;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    if (entry.is_regular_file()) paths.push_back(entry.path().string());
  }
  if (ec) throw IoError(folder + ": cannot list the folder: " + ec.message(), folder);
  std::sort(paths.begin(), paths.end());

  ReferenceSeries series;
  series.folder = folder;
  NoteCounter notes;
  std::size_t skipped = 0;
  std::map<std::string, std::size_t> series_uids;
  for (const std::string& path : paths) {
    DcmFileFormat file;
    // Elements above 4 KB (the pixels) stay on disk; only the header is parsed.
    if (file.loadFileUntilTag(path.c_str(), EXS_Unknown, EGL_noChange, 4096, ERM_autoDetect,
                              DCM_PixelData)
            .bad()) {
      ++skipped;
      continue;
    }
    DcmDataset& ds = *file.getDataset();
    DcmMetaInfo& meta = *file.getMetaInfo();
    ReferenceImage image;
    image.path = path;
    image.sop_class_uid = text_of(ds, DCM_SOPClassUID);
    image.sop_instance_uid = text_of(ds, DCM_SOPInstanceUID);
    if (image.sop_class_uid.empty()) {
      image.sop_class_uid = text_of(meta, DCM_MediaStorageSOPClassUID);
      notes.add("SOPClassUID taken from the file meta information", path);
    }
    if (image.sop_instance_uid.empty()) {
      image.sop_instance_uid = text_of(meta, DCM_MediaStorageSOPInstanceUID);
      notes.add("SOPInstanceUID taken from the file meta information", path);
    }
    image.position = text_of(ds, DCM_ImagePositionPatient);
    const std::string orientation = text_of(ds, DCM_ImageOrientationPatient);
    if (image.position.empty() && orientation.empty() && !ds.tagExists(DCM_Rows)) {
      ++skipped;  // not an image (a DICOMDIR, a structured report, ...)
      continue;
    }
    if (image.sop_instance_uid.empty()) {
      throw FormatError(path + ": no SOPInstanceUID (neither in the dataset nor in the file meta)",
                        path);
    }
    Uint16 rows = 0, cols = 0;
    ds.findAndGetUint16(DCM_Rows, rows);
    ds.findAndGetUint16(DCM_Columns, cols);
    Sint32 frames = 1;
    if (ds.findAndGetSint32(DCM_NumberOfFrames, frames).good() && frames > 1) {
      throw FormatError(path +
                            ": a multi-frame image; the reference series must be single-frame "
                            "images (CT, MR, PET slices)",
                        path);
    }
    if (!parse_numbers(image.position, 3, image.position_lps.data())) {
      throw FormatError(
          path + ": ImagePositionPatient missing or not 3 numbers ('" + image.position + "')",
          path);
    }
    const std::string spacing = text_of(ds, DCM_PixelSpacing);
    double iop[6], ps[2];
    if (!parse_numbers(orientation, 6, iop)) {
      throw FormatError(
          path + ": ImageOrientationPatient missing or not 6 numbers ('" + orientation + "')",
          path);
    }
    if (!parse_numbers(spacing, 2, ps) || ps[0] <= 0 || ps[1] <= 0) {
      throw FormatError(
          path + ": PixelSpacing missing or not 2 positive numbers ('" + spacing + "')", path);
    }
    const std::string series_uid = text_of(ds, DCM_SeriesInstanceUID);
    ++series_uids[series_uid];
    if (series.images.empty()) {
      series.orientation = orientation;
      series.pixel_spacing = spacing;
      series.row_dir = {iop[0], iop[1], iop[2]};
      series.col_dir = {iop[3], iop[4], iop[5]};
      series.spacing_y = ps[0];
      series.spacing_x = ps[1];
      series.rows = rows;
      series.cols = cols;
      series.series_uid = series_uid;
      series.study_uid = text_of(ds, DCM_StudyInstanceUID);
      series.frame_of_reference_uid = text_of(ds, DCM_FrameOfReferenceUID);
      series.header = std::make_shared<DcmDataset>(ds);
    } else {
      const bool same_orientation = std::abs(iop[0] - series.row_dir[0]) < 1e-4 &&
                                    std::abs(iop[1] - series.row_dir[1]) < 1e-4 &&
                                    std::abs(iop[2] - series.row_dir[2]) < 1e-4 &&
                                    std::abs(iop[3] - series.col_dir[0]) < 1e-4 &&
                                    std::abs(iop[4] - series.col_dir[1]) < 1e-4 &&
                                    std::abs(iop[5] - series.col_dir[2]) < 1e-4;
      if (!same_orientation || rows != series.rows || cols != series.cols ||
          std::abs(ps[0] - series.spacing_y) > 1e-6 || std::abs(ps[1] - series.spacing_x) > 1e-6) {
        throw FormatError(path + ": orientation, size or pixel spacing differs from " +
                              series.images.front().path +
                              "; the reference must be one series "
                              "of parallel slices",
                          path);
      }
    }
    series.images.push_back(std::move(image));
  }
  if (series.images.empty()) {
    throw FormatError(folder + ": no DICOM image in the folder", folder);
  }
  if (series_uids.size() > 1) {
    throw FormatError(folder + ": holds " + std::to_string(series_uids.size()) +
                          " series (SeriesInstanceUID); give the folder of one series",
                      folder);
  }
  if (series.series_uid.empty()) notes.add("no SeriesInstanceUID", series.images[0].path);
  if (series.study_uid.empty()) notes.add("no StudyInstanceUID", series.images[0].path);
  if (series.frame_of_reference_uid.empty()) {
    notes.add("no FrameOfReferenceUID (the SEG gets a new one)", series.images[0].path);
  }
  const Vec3 normal = cross(series.row_dir, series.col_dir);
  std::stable_sort(series.images.begin(), series.images.end(),
                   [&](const ReferenceImage& a, const ReferenceImage& b) {
                     return dot(a.position_lps, normal) < dot(b.position_lps, normal);
                   });
  for (std::size_t s = 1; s < series.images.size(); ++s) {
    if (std::abs(dot(series.images[s].position_lps, normal) -
                 dot(series.images[s - 1].position_lps, normal)) < 1e-6) {
      throw FormatError(
          series.images[s].path + ": same slice position as " + series.images[s - 1].path,
          series.images[s].path);
    }
  }
  notes.flush(series.notes, folder);
  if (skipped > 0) {
    series.notes.push_back(folder + ": skipped " + std::to_string(skipped) +
                           " file(s) that are not DICOM images");
  }
  return series;
}

}  // namespace medmask::io
