// dicom_seg_read: DICOM SEG instances (BINARY, FRACTIONAL, LABELMAP) as an ImportedCase.
//
// Geometry (PS3.3 C.7.6.2.1.1): every frame's ImagePositionPatient, one shared orientation and
// pixel spacing; slices are the distinct positions along the normal, which must be a whole
// number of one spacing apart (frames of empty slices may be omitted). BINARY and FRACTIONAL
// segments are packed first fit into exclusive label maps (one archive entry each, values =
// segment numbers), so that 100 segments cost a few label maps of memory, not 100 masks.
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpls/djdecode.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>

#include "io/dicom_seg_dataset.hpp"
#include "medmask/dicom_seg.hpp"
#include "medmask/error.hpp"

namespace medmask {
namespace io {
namespace {

Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

bool parse_numbers(const std::string& text, std::size_t count, double* out) {
  const char* p = text.c_str();
  for (std::size_t i = 0; i < count; ++i) {
    char* end = nullptr;
    out[i] = std::strtod(p, &end);
    if (end == p || !std::isfinite(out[i])) return false;
    p = end;
    while (*p == ' ') ++p;
    if (i + 1 < count) {
      if (*p != '\\') return false;
      ++p;
    }
  }
  return *p == '\0';
}

void register_codecs() {
  static std::once_flag once;
  std::call_once(once, [] {
    DcmRLEDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
  });
}

struct SegInstance {
  std::string path;
  std::unique_ptr<DcmFileFormat> file;
  std::string type;  // BINARY, FRACTIONAL, LABELMAP
  std::int64_t rows = 0, cols = 0, frames = 0;
  int bits = 1;
  double max_fractional = 1;
  Vec3 row_dir{}, col_dir{};
  double spacing_row = 0, spacing_col = 0, spacing_between = 0;
  std::vector<Vec3> position;          // per frame
  std::vector<std::uint16_t> segment;  // per frame (0 in LABELMAP)
  std::vector<std::int64_t> plane;     // per frame, filled once the grid is known
  std::vector<Label> segments;         // value = segment number
  std::map<std::uint32_t, std::vector<std::string>> group_members;  // MedMask's, by segment number
  std::string frame_of_reference_uid;
};

[[noreturn]] void fail(const std::string& path, const std::string& why) {
  throw FormatError(path + ": " + why, path);
}

// An item of a functional group sequence: per-frame first, then shared.
DcmItem* functional_group(DcmItem* per_frame, DcmItem* shared, const DcmTagKey& sequence) {
  DcmItem* item = nullptr;
  if (per_frame != nullptr && per_frame->findAndGetSequenceItem(sequence, item).good()) return item;
  if (shared != nullptr && shared->findAndGetSequenceItem(sequence, item).good()) return item;
  return nullptr;
}

Label segment_label(DcmItem& item, const std::string& path) {
  Uint16 number = 0;
  if (item.findAndGetUint16(DCM_SegmentNumber, number).bad() || number == 0) {
    fail(path, "a segment without a SegmentNumber (or number 0)");
  }
  Label label;
  label.value = number;
  label.name = get_text(item, DCM_SegmentLabel);
  if (label.name.empty()) label.name = "segment_" + std::to_string(number);
  label.description = get_text(item, DCM_SegmentDescription);
  const Uint16* lab = nullptr;
  unsigned long count = 0;
  if (item.findAndGetUint16Array(DCM_RecommendedDisplayCIELabValue, lab, &count).good() &&
      count == 3) {
    label.color = dicom_lab_to_rgb({lab[0], lab[1], lab[2]});
  }
  DcmItem* type = nullptr;
  if (item.findAndGetSequenceItem(DCM_SegmentedPropertyTypeCodeSequence, type).good()) {
    CodedConcept code{get_text(*type, DCM_CodingSchemeDesignator), get_text(*type, DCM_CodeValue),
                      get_text(*type, DCM_CodeMeaning)};
    if (!code.code.empty()) label.concept_code = code;
  }
  return label;
}

SegInstance read_instance(const std::string& path) {
  SegInstance seg;
  seg.path = path;
  seg.file = std::make_unique<DcmFileFormat>();
  const OFCondition status = seg.file->loadFile(path.c_str());
  if (status.bad()) {
    if (!std::filesystem::exists(path)) throw IoError(path + ": no such file", path);
    fail(path, std::string("not a readable DICOM file: ") + status.text());
  }
  DcmDataset& ds = *seg.file->getDataset();
  const std::string sop_class = get_text(ds, DCM_SOPClassUID);
  const std::string modality = get_text(ds, DCM_Modality);
  seg.type = get_text(ds, DCM_SegmentationType);
  if (modality != "SEG" && sop_class != kSegmentationStorage &&
      sop_class != kLabelMapSegmentationStorage) {
    fail(path,
         "not a DICOM Segmentation (Modality '" + modality + "', SOP class '" + sop_class + "')");
  }
  if (seg.type != "BINARY" && seg.type != "FRACTIONAL" && seg.type != "LABELMAP") {
    fail(path, "SegmentationType '" + seg.type + "'; expected BINARY, FRACTIONAL or LABELMAP");
  }
  Uint16 rows = 0, cols = 0, bits = 0;
  ds.findAndGetUint16(DCM_Rows, rows);
  ds.findAndGetUint16(DCM_Columns, cols);
  ds.findAndGetUint16(DCM_BitsAllocated, bits);
  if (rows == 0 || cols == 0) fail(path, "Rows or Columns missing or 0");
  seg.rows = rows;
  seg.cols = cols;
  seg.bits = bits;
  const int expected_bits = seg.type == "BINARY" ? 1 : seg.type == "FRACTIONAL" ? 8 : -1;
  if ((expected_bits > 0 && bits != expected_bits) ||
      (expected_bits < 0 && bits != 8 && bits != 16)) {
    fail(path, "BitsAllocated " + std::to_string(bits) + " is not allowed for " + seg.type);
  }
  if (seg.type == "FRACTIONAL") {
    Uint16 max_value = 0;
    ds.findAndGetUint16(DCM_MaximumFractionalValue, max_value);
    if (max_value == 0) fail(path, "FRACTIONAL without a MaximumFractionalValue");
    seg.max_fractional = max_value;
  }
  Sint32 frames = 0;
  if (ds.findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 0) {
    fail(path, "NumberOfFrames missing");
  }
  seg.frames = frames;
  seg.frame_of_reference_uid = get_text(ds, DCM_FrameOfReferenceUID);

  DcmItem* item = nullptr;
  for (unsigned long i = 0;
       ds.findAndGetSequenceItem(DCM_SegmentSequence, item, static_cast<int>(i)).good(); ++i) {
    Uint16 number = 0;
    // LABELMAP may describe its background (number 0 = PixelPaddingValue): not a structure.
    if (seg.type == "LABELMAP" && item->findAndGetUint16(DCM_SegmentNumber, number).good() &&
        number == 0) {
      continue;
    }
    seg.segments.push_back(segment_label(*item, path));
    OFString creator, members;
    if (item->findAndGetOFString(io::kMedmaskCreatorTag, creator).good() &&
        creator == io::kMedmaskPrivateCreator &&
        item->findAndGetOFStringArray(io::kGroupMembersTag, members).good()) {
      const auto json = nlohmann::json::parse(members.c_str(), nullptr, false);
      std::vector<std::string> names;
      if (json.is_array() && !json.empty()) {
        for (const auto& name : json) {
          if (name.is_string()) names.push_back(name.get<std::string>());
        }
      }
      if (!names.empty() && names.size() == json.size()) {
        seg.group_members.emplace(seg.segments.back().value, std::move(names));
      }
    }
  }
  if (seg.segments.empty()) fail(path, "no SegmentSequence");

  DcmItem* shared = nullptr;
  ds.findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared);
  DcmSequenceOfItems* per_frame = nullptr;
  ds.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, per_frame);
  const unsigned long items = per_frame != nullptr ? per_frame->card() : 0;
  if (static_cast<std::int64_t>(items) != seg.frames) {
    fail(path, "NumberOfFrames is " + std::to_string(seg.frames) +
                   " but the per-frame "
                   "functional groups hold " +
                   std::to_string(items) + " items (missing frames)");
  }
  std::string orientation;
  std::string spacing;
  for (unsigned long f = 0; f < items; ++f) {
    DcmItem* frame = per_frame->getItem(f);
    DcmItem* position = functional_group(frame, shared, DCM_PlanePositionSequence);
    Vec3 p{};
    if (position == nullptr ||
        !parse_numbers(get_text(*position, DCM_ImagePositionPatient), 3, p.data())) {
      fail(path, "frame " + std::to_string(f + 1) + ": no ImagePositionPatient");
    }
    seg.position.push_back(p);
    if (f == 0 || frame->tagExists(DCM_PlaneOrientationSequence)) {
      DcmItem* o = functional_group(frame, shared, DCM_PlaneOrientationSequence);
      const std::string text = o != nullptr ? get_text(*o, DCM_ImageOrientationPatient) : "";
      if (f > 0 && text != orientation) {
        fail(path, "frame " + std::to_string(f + 1) +
                       ": ImageOrientationPatient differs from frame 1's; only parallel planes "
                       "are supported");
      }
      orientation = text;
    }
    if (f == 0 || frame->tagExists(DCM_PixelMeasuresSequence)) {
      DcmItem* m = functional_group(frame, shared, DCM_PixelMeasuresSequence);
      const std::string text = m != nullptr ? get_text(*m, DCM_PixelSpacing) : "";
      if (f > 0 && text != spacing) {
        fail(path, "frame " + std::to_string(f + 1) + ": PixelSpacing differs from frame 1's");
      }
      spacing = text;
      if (f == 0 && m != nullptr) {
        const std::string between = get_text(*m, DCM_SpacingBetweenSlices);
        if (!between.empty()) parse_numbers(between, 1, &seg.spacing_between);
      }
    }
    std::uint16_t segment = 0;
    if (seg.type != "LABELMAP") {
      DcmItem* id = functional_group(frame, shared, DCM_SegmentIdentificationSequence);
      Uint16 number = 0;
      if (id == nullptr || id->findAndGetUint16(DCM_ReferencedSegmentNumber, number).bad()) {
        fail(path, "frame " + std::to_string(f + 1) + ": no ReferencedSegmentNumber");
      }
      segment = number;
    }
    seg.segment.push_back(segment);
  }
  double iop[6], ps[2];
  if (!parse_numbers(orientation, 6, iop)) {
    fail(path, "no ImageOrientationPatient in the functional groups ('" + orientation + "')");
  }
  if (!parse_numbers(spacing, 2, ps) || ps[0] <= 0 || ps[1] <= 0) {
    fail(path, "no valid PixelSpacing in the functional groups ('" + spacing + "')");
  }
  seg.row_dir = {iop[0], iop[1], iop[2]};
  seg.col_dir = {iop[3], iop[4], iop[5]};
  seg.spacing_row = ps[0];
  seg.spacing_col = ps[1];
  return seg;
}

// The pixels of every frame, uncompressed (RLE and JPEG-LS are decoded by DCMTK).
const Uint8* frame_bytes(SegInstance& seg, std::size_t& size) {
  DcmDataset& ds = *seg.file->getDataset();
  E_TransferSyntax syntax = ds.getOriginalXfer();
  if (DcmXfer(syntax).isEncapsulated()) {
    register_codecs();
    const OFCondition status = ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
    if (status.bad() || !ds.canWriteXfer(EXS_LittleEndianExplicit)) {
      throw UnsupportedError(seg.path + ": pixel data in transfer syntax " +
                                 DcmXfer(syntax).getXferName() +
                                 " cannot be decoded (RLE and JPEG-LS can)",
                             seg.path);
    }
  }
  DcmElement* element = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, element).bad()) fail(seg.path, "no PixelData");
  Uint8* data = nullptr;
  if (element->getUint8Array(data).bad() || data == nullptr) {
    if (seg.frames == 0) {
      size = 0;
      return nullptr;
    }
    fail(seg.path, "PixelData cannot be read");
  }
  size = element->getLength();
  const std::uint64_t bits_needed = static_cast<std::uint64_t>(seg.frames) *
                                    static_cast<std::uint64_t>(seg.rows * seg.cols) *
                                    static_cast<std::uint64_t>(seg.bits);
  if (size * 8 < bits_needed) {
    fail(seg.path, "PixelData holds " + std::to_string(size) + " bytes; " +
                       std::to_string(seg.frames) + " frames need " +
                       std::to_string((bits_needed + 7) / 8) + " (missing frames)");
  }
  return data;
}

struct Grid {
  Space space;
  Vec3 normal{};
  double step = 0;
  double first = 0;  // position of plane 0 along the normal
};

// The slice grid through every frame of every instance.
Grid common_grid(std::vector<SegInstance>& instances) {
  const SegInstance& a = instances.front();
  for (const SegInstance& b : instances) {
    bool same = b.rows == a.rows && b.cols == a.cols &&
                std::abs(b.spacing_row - a.spacing_row) < 1e-6 &&
                std::abs(b.spacing_col - a.spacing_col) < 1e-6 &&
                b.frame_of_reference_uid == a.frame_of_reference_uid;
    for (int c = 0; c < 3; ++c) {
      same = same &&
             std::abs(b.row_dir[static_cast<std::size_t>(c)] -
                      a.row_dir[static_cast<std::size_t>(c)]) < 1e-4 &&
             std::abs(b.col_dir[static_cast<std::size_t>(c)] -
                      a.col_dir[static_cast<std::size_t>(c)]) < 1e-4;
    }
    if (!same) {
      fail(b.path, "frame of reference, orientation, size or pixel spacing differs from " + a.path +
                       "; the instances of one import must share one grid");
    }
  }
  Grid grid;
  grid.normal = cross(a.row_dir, a.col_dir);
  std::vector<double> along;
  for (const SegInstance& seg : instances) {
    for (const Vec3& p : seg.position) along.push_back(dot(p, grid.normal));
  }
  std::sort(along.begin(), along.end());
  const double tolerance = 1e-3 * std::min(a.spacing_row, a.spacing_col);
  std::vector<double> planes;
  for (double d : along) {
    if (planes.empty() || d - planes.back() > tolerance) planes.push_back(d);
  }
  double step = a.spacing_between;
  if (planes.size() > 1) {
    double smallest = planes[1] - planes[0];
    for (std::size_t s = 2; s < planes.size(); ++s)
      smallest = std::min(smallest, planes[s] - planes[s - 1]);
    if (step <= 0 || std::abs(std::round(smallest / step) * step - smallest) > 0.01 * step) {
      step = smallest;
    }
  }
  if (step <= 0) step = std::min(a.spacing_row, a.spacing_col);
  for (std::size_t s = 1; s < planes.size(); ++s) {
    const double gap = (planes[s] - planes[0]) / step;
    if (std::abs(gap - std::round(gap)) > 0.01) {
      fail(a.path, "non-uniform slice spacing: planes at " + std::to_string(planes[0]) + " and " +
                       std::to_string(planes[s]) +
                       " mm along the normal are not a whole number of " + std::to_string(step) +
                       " mm apart");
    }
  }
  const double first = planes.front();
  const auto count = static_cast<std::int64_t>(std::llround((planes.back() - first) / step)) + 1;
  // Plane 0's position: any frame on it, and the slice direction from the first and last
  // planes (a gantry tilt gives a direction off the normal: Space refuses the shear).
  Vec3 origin{}, last{};
  bool have_first = false, have_last = false;
  for (const SegInstance& seg : instances) {
    for (const Vec3& p : seg.position) {
      const double d = dot(p, grid.normal);
      if (!have_first && std::abs(d - first) <= tolerance) origin = p, have_first = true;
      if (!have_last && std::abs(d - planes.back()) <= tolerance) last = p, have_last = true;
    }
  }
  Vec3 slice_dir = grid.normal;
  if (count > 1) {
    for (std::size_t c = 0; c < 3; ++c) {
      slice_dir[c] = (last[c] - origin[c]) / (static_cast<double>(count - 1) * step);
    }
  }
  Mat3 direction{};
  for (std::size_t r = 0; r < 3; ++r) {
    direction[r] = {a.row_dir[r], a.col_dir[r], slice_dir[r]};
  }
  try {
    grid.space =
        Space({a.cols, a.rows, count}, origin, {a.spacing_col, a.spacing_row, step}, direction);
  } catch (const ArgumentError& e) {
    fail(a.path, std::string("frames do not form a regular grid: ") + e.what());
  }
  grid.step = step;
  grid.first = first;
  // Each frame's plane; its in-plane position must be the grid's.
  for (SegInstance& seg : instances) {
    for (std::size_t f = 0; f < seg.position.size(); ++f) {
      const Vec3 ijk = grid.space.lps_to_ijk(seg.position[f]);
      const double k = std::round(ijk[2]);
      if (std::abs(ijk[0]) > 0.01 || std::abs(ijk[1]) > 0.01 || std::abs(ijk[2] - k) > 0.01) {
        fail(seg.path, "frame " + std::to_string(f + 1) +
                           " is not on the slice grid of the other frames (voxel offset " +
                           std::to_string(ijk[0]) + ", " + std::to_string(ijk[1]) + ", " +
                           std::to_string(ijk[2] - k) + ")");
      }
      seg.plane.push_back(static_cast<std::int64_t>(k));
    }
  }
  return grid;
}

// First-fit exclusive label maps for BINARY / FRACTIONAL segments.
struct LayerBuilder {
  Shape3 shape_zyx;
  DType dtype;
  std::vector<LabelVolume> volumes;
  std::vector<LabelTable> tables;

  template <class T, class ForEachVoxel>
  bool fits(const LabelVolume& volume, ForEachVoxel&& each) {
    const T* data = volume.data_as<T>();
    bool free = true;
    each([&](std::size_t index) {
      if (data[index] != 0) free = false;
    });
    return free;
  }

  template <class ForEachVoxel>
  void place(const Label& label, ForEachVoxel&& each) {
    const auto run = [&](auto tag) {
      using T = decltype(tag);
      std::size_t l = 0;
      while (l < volumes.size() && !fits<T>(volumes[l], each)) ++l;
      if (l == volumes.size()) {
        volumes.emplace_back(dtype, shape_zyx);
        tables.emplace_back();
      }
      T* data = volumes[l].data_as<T>();
      const T value = static_cast<T>(label.value);
      each([&](std::size_t index) { data[index] = value; });
      tables[l].add(label);
    };
    if (dtype == DType::kUInt8) {
      run(std::uint8_t{});
    } else {
      run(std::uint16_t{});
    }
  }
};

std::vector<std::string> seg_files(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(path, ec)) return {path};
  std::vector<std::string> files;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace
}  // namespace io

bool is_dicom_file(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const auto has_magic = [](const fs::path& file) {
    std::FILE* f = std::fopen(file.c_str(), "rb");
    if (f == nullptr) return false;
    char magic[4] = {};
    const bool ok = std::fseek(f, 128, SEEK_SET) == 0 && std::fread(magic, 1, 4, f) == 4 &&
                    std::equal(magic, magic + 4, "DICM");
    std::fclose(f);
    return ok;
  };
  if (fs::is_directory(path, ec)) {
    for (const auto& entry : fs::directory_iterator(path, ec)) {
      if (entry.is_regular_file() && has_magic(entry.path())) return true;
    }
    return false;
  }
  return fs::is_regular_file(path, ec) && has_magic(path);
}

ImportedCase import_dicom_seg(const std::string& path) {
  using namespace io;
  quiet_dcmtk();
  std::vector<SegInstance> instances;
  std::size_t skipped = 0;
  const std::vector<std::string> files = seg_files(path);
  for (const std::string& file : files) {
    if (files.size() > 1 && !is_dicom_file(file)) {
      ++skipped;
      continue;
    }
    instances.push_back(read_instance(file));
  }
  if (instances.empty()) fail(path, "no DICOM SEG file in the folder");
  ImportedCase result;
  if (skipped > 0) {
    result.warnings.push_back(
        {WarningKind::kSkippedInput,
         path + ": skipped " + std::to_string(skipped) + " file(s) that are not DICOM"});
  }
  Grid grid = common_grid(instances);
  result.space = grid.space;
  const Shape3 shape = grid.space.shape_zyx();
  const auto plane_voxels = static_cast<std::size_t>(shape[1] * shape[2]);
  std::set<std::string> names;
  const auto unique_name = [&](Label& label, const std::string& file) {
    if (names.insert(label.name).second) return;
    const std::string renamed = label.name + " (segment " + std::to_string(label.value) + ")";
    result.warnings.push_back({WarningKind::kRenamed, file + ": segment label '" + label.name +
                                                          "' is used twice; " + "segment " +
                                                          std::to_string(label.value) +
                                                          " stored as '" + renamed + "'"});
    label.name = renamed;
    names.insert(renamed);
  };

  std::size_t entry_count = 0;
  for (SegInstance& seg : instances) {
    std::size_t size = 0;
    const Uint8* bytes = frame_bytes(seg, size);
    std::uint32_t max_number = 0;
    for (const Label& label : seg.segments) max_number = std::max(max_number, label.value);
    const DType dtype = max_number > 255 ? DType::kUInt16 : DType::kUInt8;
    if (seg.type == "LABELMAP") {
      LabelVolume volume(seg.bits == 16 ? DType::kUInt16 : dtype, shape);
      LabelTable table;
      for (Label label : seg.segments) {
        unique_name(label, seg.path);
        table.add(std::move(label));
      }
      const auto frame_pixels = static_cast<std::size_t>(seg.rows * seg.cols);
      for (std::size_t f = 0; f < seg.plane.size(); ++f) {
        const std::size_t offset = static_cast<std::size_t>(seg.plane[f]) * plane_voxels;
        if (seg.bits == 8) {
          const Uint8* src = bytes + f * frame_pixels;
          if (volume.dtype() == DType::kUInt8) {
            std::copy(src, src + frame_pixels, volume.data_as<std::uint8_t>() + offset);
          } else {
            std::copy(src, src + frame_pixels, volume.data_as<std::uint16_t>() + offset);
          }
        } else {
          // 16-bit little endian in the native encoding
          const Uint8* src = bytes + f * frame_pixels * 2;
          std::uint16_t* dst = volume.data_as<std::uint16_t>() + offset;
          for (std::size_t p = 0; p < frame_pixels; ++p) {
            dst[p] = static_cast<std::uint16_t>(src[2 * p] | (src[2 * p + 1] << 8));
          }
        }
      }
      result.entries.push_back(
          {"layer" + std::to_string(entry_count++), SegmentationMask(volume, table, grid.space)});
      continue;
    }
    // BINARY / FRACTIONAL: frames of each segment, then first-fit layers.
    if (seg.type == "FRACTIONAL") {
      result.warnings.push_back({WarningKind::kThresholded,
                                 seg.path + ": FRACTIONAL segmentation thresholded at " +
                                     std::to_string(kFractionalThreshold) +
                                     " of MaximumFractionalValue (" +
                                     std::to_string(static_cast<int>(seg.max_fractional)) + ")"});
    }
    std::map<std::uint32_t, std::vector<std::size_t>> frames_of;
    for (std::size_t f = 0; f < seg.segment.size(); ++f) frames_of[seg.segment[f]].push_back(f);
    const auto frame_pixels = static_cast<std::size_t>(seg.rows * seg.cols);
    const auto threshold =
        static_cast<std::uint32_t>(std::ceil(kFractionalThreshold * seg.max_fractional));
    LayerBuilder layers{shape, dtype, {}, {}};
    const auto voxels_of = [&](std::uint32_t number) {
      return [&, number](auto&& visit) {
        const auto it = frames_of.find(number);
        if (it == frames_of.end()) return;
        for (const std::size_t f : it->second) {
          const std::size_t offset = static_cast<std::size_t>(seg.plane[f]) * plane_voxels;
          if (seg.bits == 1) {
            const std::size_t first_bit = f * frame_pixels;
            for (std::size_t p = 0; p < frame_pixels; ++p) {
              const std::size_t b = first_bit + p;
              if ((b & 7) == 0 && p + 8 <= frame_pixels && bytes[b >> 3] == 0) {
                p += 7;  // a whole empty byte
                continue;
              }
              if ((bytes[b >> 3] >> (b & 7)) & 1u) visit(offset + p);
            }
          } else {
            const Uint8* src = bytes + f * frame_pixels;
            for (std::size_t p = 0; p < frame_pixels; ++p) {
              if (src[p] >= threshold) visit(offset + p);
            }
          }
        }
      };
    };
    // Segments MedMask wrote for groups (docs/IMPORT_EXPORT.md): their voxels (own) must be
    // their members' union (united); members are compared by their voxels in this instance.
    const auto voxel_count = static_cast<std::size_t>(shape[0]) * plane_voxels;
    std::map<std::uint32_t, std::vector<bool>> own, united;
    std::map<std::string, std::vector<std::uint32_t>> groups_of;
    std::set<std::string> segment_names;
    for (const Label& label : seg.segments) segment_names.insert(label.name);
    for (const auto& [number, members] : seg.group_members) {
      own[number].assign(voxel_count, false);
      united[number].assign(voxel_count, false);
      for (const std::string& member : members) groups_of[member].push_back(number);
    }
    std::vector<Label> groups;
    for (Label label : seg.segments) {
      const auto each = voxels_of(label.value);
      if (const auto it = groups_of.find(label.name); it != groups_of.end()) {
        for (const std::uint32_t g : it->second) {
          each([&](std::size_t index) { united[g][index] = true; });
        }
      }
      if (own.count(label.value) != 0) {
        each([&](std::size_t index) { own[label.value][index] = true; });
        groups.push_back(label);
        continue;
      }
      unique_name(label, seg.path);
      layers.place(label, each);
    }
    for (Label label : groups) {
      const std::vector<std::string>& members = seg.group_members.at(label.value);
      const bool known = std::all_of(members.begin(), members.end(),
                                     [&](const auto& m) { return segment_names.count(m) != 0; });
      if (known && own[label.value] == united[label.value]) {
        unique_name(label, seg.path);
        label.value = 0;
        result.groups.push_back({label.name, members, std::move(label)});
        continue;
      }
      result.warnings.push_back(
          {WarningKind::kNotAGroup, seg.path + ": segment '" + label.name +
                                        "' names group members but its voxels are not their union "
                                        "(or they are missing); kept as a structure"});
      const auto each = voxels_of(label.value);
      unique_name(label, seg.path);
      layers.place(label, each);
    }
    for (std::size_t l = 0; l < layers.volumes.size(); ++l) {
      result.entries.push_back({"layer" + std::to_string(entry_count++),
                                SegmentationMask(layers.volumes[l], layers.tables[l], grid.space)});
    }
  }
  return result;
}

}  // namespace medmask
