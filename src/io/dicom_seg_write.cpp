// dicom_seg_write: an archive's structures as DICOM SEG instances (PS3.3 A.51; Supplement 243 for
// LABELMAP), built on DCMTK's dcmdata. Both types share one writer: the modules, the shared and
// per-frame functional groups and the segment descriptions differ only in a few attributes.
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcrleenc.h>
#include <dcmtk/dcmjpls/djencode.h>
#include <dcmtk/dcmjpls/djrparam.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "detail/atomic_file.hpp"
#include "detail/file_io.hpp"
#include "io/dicom_seg_codes.hpp"
#include "io/dicom_seg_dataset.hpp"
#include "io/dicom_seg_planes.hpp"
#include "io/export_layers.hpp"
#include "medmask/dicom_seg.hpp"
#include "medmask/error.hpp"
#include "medmask/version.hpp"

namespace medmask {

DicomSegType parse_dicom_seg_type(const std::string& text) {
  if (text == "auto") return DicomSegType::kAuto;
  if (text == "labelmap") return DicomSegType::kLabelmap;
  if (text == "binary") return DicomSegType::kBinary;
  throw ArgumentError("unknown DICOM SEG type '" + text + "': expected auto, labelmap or binary");
}

namespace io {
namespace {

struct Segment {
  std::uint16_t number = 0;
  Label label;
};

// What every instance of one export shares.
struct Context {
  const PlaneGrid* grid = nullptr;
  const DicomSegExportOptions* options = nullptr;
  std::string study_uid, series_uid, frame_of_reference_uid;
  std::string date, time;
  std::map<std::string, std::vector<std::string>>
      group_members;  // groups whose members are written
  bool has_reference() const { return grid->reference != nullptr; }
};

void put_u16(DcmItem& item, const DcmTagKey& tag, std::uint16_t value) {
  check_dcmtk(item.putAndInsertUint16(tag, value), "cannot set a US attribute", "");
}

// Attributes of the source series a derived object copies (patient, study, frame of reference
// and institution); absent ones are written empty where the SEG IOD makes them type 2.
void copy_reference_attributes(DcmDataset& ds, DcmDataset& source) {
  const DcmTagKey type2[] = {DCM_PatientName,
                             DCM_PatientID,
                             DCM_PatientBirthDate,
                             DCM_PatientSex,
                             DCM_StudyDate,
                             DCM_StudyTime,
                             DCM_StudyID,
                             DCM_AccessionNumber,
                             DCM_ReferringPhysicianName,
                             DCM_PositionReferenceIndicator};
  for (const DcmTagKey& tag : type2) {
    if (source.findAndInsertCopyOfElement(tag, &ds).bad()) put_text(ds, tag, "");
  }
  const DcmTagKey optional[] = {DCM_PatientAge,
                                DCM_PatientWeight,
                                DCM_PatientSize,
                                DCM_StudyDescription,
                                DCM_IssuerOfPatientID,
                                DCM_InstitutionName,
                                DCM_InstitutionAddress,
                                DCM_InstitutionalDepartmentName,
                                DCM_ClinicalTrialSponsorName,
                                DCM_ClinicalTrialProtocolID,
                                DCM_ClinicalTrialSubjectID};
  for (const DcmTagKey& tag : optional) source.findAndInsertCopyOfElement(tag, &ds);
}

void put_header(DcmDataset& ds, const Context& ctx, const char* sop_class,
                const std::string& sop_instance, int instance_number) {
  const DicomSegExportOptions& options = *ctx.options;
  put_text(ds, DCM_SpecificCharacterSet, "ISO_IR 192");
  put_text(ds, DCM_SOPClassUID, sop_class);
  put_text(ds, DCM_SOPInstanceUID, sop_instance);
  if (ctx.has_reference()) {
    copy_reference_attributes(ds, *ctx.grid->reference->header);
  } else {
    for (const DcmTagKey& tag :
         {DCM_PatientName, DCM_PatientID, DCM_PatientBirthDate, DCM_PatientSex, DCM_StudyID,
          DCM_AccessionNumber, DCM_ReferringPhysicianName, DCM_PositionReferenceIndicator}) {
      put_text(ds, tag, "");
    }
    put_text(ds, DCM_StudyDate, ctx.date);
    put_text(ds, DCM_StudyTime, ctx.time);
  }
  put_text(ds, DCM_StudyInstanceUID, ctx.study_uid);
  put_text(ds, DCM_SeriesInstanceUID, ctx.series_uid);
  put_text(ds, DCM_FrameOfReferenceUID, ctx.frame_of_reference_uid);
  put_text(ds, DCM_Modality, "SEG");
  put_text(ds, DCM_SeriesNumber, "300");
  put_text(ds, DCM_SeriesDescription, options.series_description.substr(0, 64));
  put_text(ds, DCM_SeriesDate, ctx.date);
  put_text(ds, DCM_SeriesTime, ctx.time);
  // Enhanced General Equipment: the device that made this object.
  put_text(ds, DCM_Manufacturer, "MedMask");
  put_text(ds, DCM_ManufacturerModelName, "medmask");
  put_text(ds, DCM_DeviceSerialNumber, "0");
  put_text(ds, DCM_SoftwareVersions, MEDMASK_VERSION_STRING);
  put_text(ds, DCM_InstanceNumber, std::to_string(instance_number));
  put_text(ds, DCM_ContentDate, ctx.date);
  put_text(ds, DCM_ContentTime, ctx.time);
  put_text(ds, DCM_ContentLabel, "SEGMENTATION");
  put_text(ds, DCM_ContentDescription, "");
  put_text(ds, DCM_ContentCreatorName, "");
  put_text(ds, DCM_ImageType, "DERIVED\\PRIMARY");
  put_text(ds, DCM_LossyImageCompression, "00");
  put_text(ds, DCM_BurnedInAnnotation, "NO");
  put_u16(ds, DCM_SamplesPerPixel, 1);
  put_text(ds, DCM_PhotometricInterpretation, "MONOCHROME2");
  put_u16(ds, DCM_PixelRepresentation, 0);
  put_u16(ds, DCM_Rows, static_cast<std::uint16_t>(ctx.grid->rows));
  put_u16(ds, DCM_Columns, static_cast<std::uint16_t>(ctx.grid->cols));

  // Shared functional groups: one orientation and pixel size for every frame.
  DcmItem& shared = append_item(ds, DCM_SharedFunctionalGroupsSequence);
  put_text(append_item(shared, DCM_PlaneOrientationSequence), DCM_ImageOrientationPatient,
           ctx.grid->orientation);
  DcmItem& measures = append_item(shared, DCM_PixelMeasuresSequence);
  put_text(measures, DCM_PixelSpacing, ctx.grid->pixel_spacing);
  std::string thickness = ds_text(ctx.grid->slice_spacing);
  if (ctx.has_reference()) {
    const std::string source = get_text(*ctx.grid->reference->header, DCM_SliceThickness);
    if (!source.empty()) thickness = source;
  }
  put_text(measures, DCM_SliceThickness, thickness);
  put_text(measures, DCM_SpacingBetweenSlices, ds_text(ctx.grid->slice_spacing));

  if (ctx.has_reference()) {
    // Common Instance Reference: the series and each image the frames derive from.
    const ReferenceSeries& series = *ctx.grid->reference;
    DcmItem& referenced = append_item(ds, DCM_ReferencedSeriesSequence);
    put_text(referenced, DCM_SeriesInstanceUID, series.series_uid);
    for (const ReferenceImage& image : series.images) {
      DcmItem& instance = append_item(referenced, DCM_ReferencedInstanceSequence);
      put_text(instance, DCM_ReferencedSOPClassUID, image.sop_class_uid);
      put_text(instance, DCM_ReferencedSOPInstanceUID, image.sop_instance_uid);
    }
  }
}

void put_dimensions(DcmDataset& ds, bool with_segment) {
  const std::string organization = new_uid();
  put_text(append_item(ds, DCM_DimensionOrganizationSequence), DCM_DimensionOrganizationUID,
           organization);
  const auto add = [&](const DcmTagKey& pointer, const DcmTagKey& group, const char* label) {
    DcmItem& index = append_item(ds, DCM_DimensionIndexSequence);
    put_text(index, DCM_DimensionOrganizationUID, organization);
    check_dcmtk(index.putAndInsertTagKey(DCM_DimensionIndexPointer, pointer), "pointer", "");
    check_dcmtk(index.putAndInsertTagKey(DCM_FunctionalGroupPointer, group), "pointer", "");
    put_text(index, DCM_DimensionDescriptionLabel, label);
  };
  if (with_segment) {
    add(DCM_ReferencedSegmentNumber, DCM_SegmentIdentificationSequence, "ReferencedSegmentNumber");
  }
  add(DCM_ImagePositionPatient, DCM_PlanePositionSequence, "ImagePositionPatient");
}

// Category and type: the label's own concept as the type; for TotalSegmentator's names their
// published SNOMED CT codes; otherwise "Tissue" (the generic code dcmqi and highdicom use).
void put_segment(DcmItem& item, const Segment& segment, const Context& ctx) {
  const DicomSegExportOptions& options = *ctx.options;
  put_u16(item, DCM_SegmentNumber, segment.number);
  if (const auto it = ctx.group_members.find(segment.label.name); it != ctx.group_members.end()) {
    // DcmTag, not put_text's DcmTagKey: the dictionary knows no VR for private elements.
    check_dcmtk(item.putAndInsertString(kMedmaskCreatorTag, kMedmaskPrivateCreator),
                "cannot set the private creator", "");
    check_dcmtk(
        item.putAndInsertString(kGroupMembersTag, nlohmann::json(it->second).dump().c_str()),
        "cannot set the group members", "");
  }
  put_text(item, DCM_SegmentLabel, segment.label.name.substr(0, 64));
  if (!segment.label.description.empty()) {
    put_text(item, DCM_SegmentDescription, segment.label.description.substr(0, 1024));
  }
  put_text(item, DCM_SegmentAlgorithmType, "AUTOMATIC");
  put_text(item, DCM_SegmentAlgorithmName,
           (options.algorithm_name.empty() ? std::string("MedMask") : options.algorithm_name)
               .substr(0, 64));
  const TotalSegmentatorCode* known = find_totalsegmentator_code(segment.label.name);
  const auto& concept_code = segment.label.concept_code;
  if (known != nullptr) {
    const CodeTriple& c = known->category;
    put_code(item, DCM_SegmentedPropertyCategoryCodeSequence, std::string(c.scheme),
             std::string(c.value), std::string(c.meaning));
  } else if (concept_code) {
    put_code(item, DCM_SegmentedPropertyCategoryCodeSequence, "SCT", "123037004",
             "Anatomical Structure");
  } else {
    put_code(item, DCM_SegmentedPropertyCategoryCodeSequence, "SCT", "85756007", "Tissue");
  }
  // A label that carries TotalSegmentator's own type code (pack gives it) keeps the table's
  // laterality modifier, which the label's concept has no field for.
  const bool own_concept = concept_code && !concept_code->code.empty() &&
                           !(known != nullptr && concept_code->code == known->type.value);
  if (own_concept) {
    put_code(item, DCM_SegmentedPropertyTypeCodeSequence,
             concept_code->scheme.empty() ? "SCT" : concept_code->scheme, concept_code->code,
             concept_code->meaning.empty() ? segment.label.name : concept_code->meaning);
  } else if (known != nullptr) {
    DcmItem& type =
        put_code(item, DCM_SegmentedPropertyTypeCodeSequence, std::string(known->type.scheme),
                 std::string(known->type.value), std::string(known->type.meaning));
    if (!known->type_modifier.empty()) {
      put_code(type, DCM_SegmentedPropertyTypeModifierCodeSequence,
               std::string(known->type_modifier.scheme), std::string(known->type_modifier.value),
               std::string(known->type_modifier.meaning));
    }
  } else {
    put_code(item, DCM_SegmentedPropertyTypeCodeSequence, "SCT", "85756007", "Tissue");
  }
  if (known != nullptr && !known->region.empty()) {
    DcmItem& region =
        put_code(item, DCM_AnatomicRegionSequence, std::string(known->region.scheme),
                 std::string(known->region.value), std::string(known->region.meaning));
    if (!known->region_modifier.empty()) {
      put_code(
          region, DCM_AnatomicRegionModifierSequence, std::string(known->region_modifier.scheme),
          std::string(known->region_modifier.value), std::string(known->region_modifier.meaning));
    }
  }
  std::optional<Rgb> color = segment.label.color;
  if (!color && known != nullptr) color = known->color;
  if (color) {
    const std::array<std::uint16_t, 3> lab = rgb_to_dicom_lab(*color);
    check_dcmtk(item.putAndInsertUint16Array(DCM_RecommendedDisplayCIELabValue, lab.data(), 3),
                "CIELab", "");
  }
}

// One per-frame functional group item: position, derivation from its source image, content.
void put_frame(DcmSequenceOfItems& per_frame, const Context& ctx, std::int64_t plane,
               std::uint16_t segment_number) {
  auto* frame = new DcmItem();
  per_frame.insert(frame);
  if (ctx.has_reference()) {
    const ReferenceImage& source = ctx.grid->reference->images[static_cast<std::size_t>(plane)];
    DcmItem& derivation = append_item(*frame, DCM_DerivationImageSequence);
    put_code(derivation, DCM_DerivationCodeSequence, "DCM", "113076", "Segmentation");
    DcmItem& image = append_item(derivation, DCM_SourceImageSequence);
    put_text(image, DCM_ReferencedSOPClassUID, source.sop_class_uid);
    put_text(image, DCM_ReferencedSOPInstanceUID, source.sop_instance_uid);
    put_code(image, DCM_PurposeOfReferenceCodeSequence, "DCM", "121322",
             "Source image for image processing operation");
  }
  DcmItem& content = append_item(*frame, DCM_FrameContentSequence);
  Uint32 index[2] = {segment_number, static_cast<Uint32>(plane + 1)};
  check_dcmtk(segment_number != 0
                  ? content.putAndInsertUint32Array(DCM_DimensionIndexValues, index, 2)
                  : content.putAndInsertUint32Array(DCM_DimensionIndexValues, index + 1, 1),
              "DimensionIndexValues", "");
  put_text(append_item(*frame, DCM_PlanePositionSequence), DCM_ImagePositionPatient,
           ctx.grid->position[static_cast<std::size_t>(plane)]);
  if (segment_number != 0) {
    put_u16(append_item(*frame, DCM_SegmentIdentificationSequence), DCM_ReferencedSegmentNumber,
            segment_number);
  }
}

// DCMTK writes to a file name: the unique temporary name, committed once complete.
void save(DcmFileFormat& file, const std::string& path, E_TransferSyntax syntax) {
  detail::write_file_atomic_by_name(path, [&](const std::string& temporary) {
    const OFCondition status = file.saveFile(temporary.c_str(), syntax, EET_ExplicitLength,
                                             EGL_recalcGL, EPD_noChange, 0, 0, EWM_fileformat);
    if (status.bad()) throw detail::cannot_create_error(path, status.text());
  });
}

// RLE Lossless (PS3.5 G): one segment per byte of the sample, most significant byte first, each
// row encoded on its own.
std::vector<std::uint8_t> rle_frame(const std::uint8_t* pixels, std::int64_t rows,
                                    std::int64_t cols, int bytes_per_pixel) {
  std::vector<std::vector<std::uint8_t>> segments;
  for (int byte = bytes_per_pixel - 1; byte >= 0; --byte) {
    DcmRLEEncoder encoder(1);
    for (std::int64_t y = 0; y < rows; ++y) {
      for (std::int64_t x = 0; x < cols; ++x) {
        encoder.add(pixels[(y * cols + x) * bytes_per_pixel + byte]);
      }
      encoder.flush();
    }
    std::vector<std::uint8_t> bytes(encoder.size());
    encoder.write(bytes.data());
    segments.push_back(std::move(bytes));
  }
  std::vector<std::uint8_t> out(64, 0);
  Uint32 header[16] = {static_cast<Uint32>(segments.size())};
  Uint32 offset = 64;
  for (std::size_t s = 0; s < segments.size(); ++s) {
    header[s + 1] = offset;
    offset += static_cast<Uint32>(segments[s].size());
  }
  for (int i = 0; i < 16; ++i) {
    for (int b = 0; b < 4; ++b)
      out[static_cast<std::size_t>(i * 4 + b)] = (header[i] >> (8 * b)) & 0xFF;
  }
  for (const auto& segment : segments) out.insert(out.end(), segment.begin(), segment.end());
  if (out.size() % 2 != 0) out.push_back(0);
  return out;
}

void put_native_pixels(DcmDataset& ds, std::vector<std::uint8_t> bytes, int bits) {
  if (bytes.size() % 2 != 0) bytes.push_back(0);
  auto* pixels = new DcmPixelData(DcmTag(DCM_PixelData, bits == 16 ? EVR_OW : EVR_OB));
  check_dcmtk(pixels->putUint8Array(bytes.data(), static_cast<unsigned long>(bytes.size())),
              "pixel data", "");
  check_dcmtk(ds.insert(pixels, true), "pixel data", "");
}

void put_rle_pixels(DcmDataset& ds, const std::vector<std::vector<std::uint8_t>>& frames) {
  auto* sequence = new DcmPixelSequence(DcmTag(DCM_PixelData, EVR_OB));
  sequence->insert(new DcmPixelItem(DcmTag(DCM_Item, EVR_OB)));  // empty offset table
  for (const auto& frame : frames) {
    auto* item = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
    check_dcmtk(item->putUint8Array(frame.data(), static_cast<unsigned long>(frame.size())),
                "RLE frame", "");
    sequence->insert(item);
  }
  auto* pixels = new DcmPixelData(DcmTag(DCM_PixelData, EVR_OB));
  pixels->putOriginalRepresentation(EXS_RLELossless, nullptr, sequence);
  check_dcmtk(ds.insert(pixels, true), "pixel data", "");
}

void write_labelmap(const std::string& path, const ExportLayer& layer, const Context& ctx,
                    int instance_number) {
  const PlaneGrid& grid = *ctx.grid;
  const std::uint32_t max_value = layer.labels.max_value();
  if (max_value > 65535) {
    throw ArgumentError(path + ": a LABELMAP SEG holds segment numbers up to 65535; '" +
                            layer.labels.find_value(max_value)->name + "' has value " +
                            std::to_string(max_value) + "; write BINARY instead",
                        path, std::nullopt, Remedy::kBinarySegmentation);
  }
  const int bits = max_value > 255 ? 16 : 8;
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  put_header(ds, ctx, kLabelMapSegmentationStorage, new_uid(), instance_number);
  put_text(ds, DCM_SegmentationType, "LABELMAP");
  put_text(ds, DCM_SegmentsOverlap, "NO");
  put_u16(ds, DCM_BitsAllocated, static_cast<std::uint16_t>(bits));
  put_u16(ds, DCM_BitsStored, static_cast<std::uint16_t>(bits));
  put_u16(ds, DCM_HighBit, static_cast<std::uint16_t>(bits - 1));
  put_u16(ds, DCM_PixelPaddingValue, 0);
  for (const Label& label : layer.labels) {
    put_segment(append_item(ds, DCM_SegmentSequence),
                {static_cast<std::uint16_t>(label.value), label}, ctx);
  }
  put_dimensions(ds, false);
  auto* per_frame = new DcmSequenceOfItems(DCM_PerFrameFunctionalGroupsSequence);
  check_dcmtk(ds.insert(per_frame, true), "per-frame groups", "");
  const std::size_t frame_pixels = static_cast<std::size_t>(grid.rows * grid.cols);
  const int bytes_per_pixel = bits / 8;
  std::vector<std::uint8_t> native;
  std::vector<std::vector<std::uint8_t>> rle;
  std::vector<std::uint8_t> frame(frame_pixels * static_cast<std::size_t>(bytes_per_pixel));
  std::vector<std::uint32_t> plane;
  std::int64_t frames = 0;
  for (std::int64_t s = 0; s < grid.planes; ++s) {
    cut_plane(layer.volume, grid, s, plane);
    // The first and last planes stay, even empty, so that a reader finds the grid's extent.
    if (ctx.options->omit_empty_frames && s != 0 && s != grid.planes - 1 &&
        std::all_of(plane.begin(), plane.end(), [](std::uint32_t v) { return v == 0; })) {
      continue;
    }
    for (std::size_t p = 0; p < frame_pixels; ++p) {
      frame[p * static_cast<std::size_t>(bytes_per_pixel)] = static_cast<std::uint8_t>(plane[p]);
      if (bits == 16) frame[p * 2 + 1] = static_cast<std::uint8_t>(plane[p] >> 8);
    }
    if (ctx.options->rle) {
      rle.push_back(rle_frame(frame.data(), grid.rows, grid.cols, bytes_per_pixel));
    } else {
      native.insert(native.end(), frame.begin(), frame.end());
    }
    put_frame(*per_frame, ctx, s, 0);
    ++frames;
  }
  put_text(ds, DCM_NumberOfFrames, std::to_string(frames));
  if (ctx.options->rle) {
    put_rle_pixels(ds, rle);
  } else {
    put_native_pixels(ds, std::move(native), bits);
  }
  E_TransferSyntax syntax = ctx.options->rle ? EXS_RLELossless : EXS_LittleEndianExplicit;
  if (ctx.options->jpeg_ls) {
    static std::once_flag once;
    std::call_once(once, [] { DJLSEncoderRegistration::registerCodecs(); });
    const DJLSRepresentationParameter lossless(0, OFTrue);
    check_dcmtk(ds.chooseRepresentation(EXS_JPEGLSLossless, &lossless), "JPEG-LS encoding", path);
    syntax = EXS_JPEGLSLossless;
  }
  save(file, path, syntax);
}

void write_binary(const std::string& path, const std::vector<ExportLayer>& layers,
                  const Context& ctx) {
  const PlaneGrid& grid = *ctx.grid;
  const std::size_t frame_pixels = static_cast<std::size_t>(grid.rows * grid.cols);
  const std::size_t frame_bytes = (frame_pixels + 7) / 8;
  std::vector<Segment> segments;
  // frames[segment index] = (plane, bits) in plane order
  std::vector<std::vector<std::pair<std::int64_t, std::vector<std::uint8_t>>>> frames;
  std::vector<std::uint32_t> plane;
  for (const ExportLayer& layer : layers) {
    std::unordered_map<std::uint32_t, std::size_t> segment_of_value;
    for (const Label& label : layer.labels) {
      if (segments.size() >= 65535) {
        throw ArgumentError(path + ": a SEG holds at most 65535 segments");
      }
      segment_of_value[label.value] = segments.size();
      segments.push_back({static_cast<std::uint16_t>(segments.size() + 1), label});
      frames.emplace_back();
    }
    for (std::int64_t s = 0; s < grid.planes; ++s) {
      cut_plane(layer.volume, grid, s, plane);
      const auto frame_of = [&](std::size_t segment) -> std::vector<std::uint8_t>& {
        auto& list = frames[segment];
        if (list.empty() || list.back().first != s) {
          list.emplace_back(s, std::vector<std::uint8_t>(frame_bytes, 0));
        }
        return list.back().second;
      };
      if (!ctx.options->omit_empty_frames) {
        for (const auto& [value, segment] : segment_of_value) frame_of(segment);
      }
      std::uint32_t last_value = 0;
      std::vector<std::uint8_t>* bits = nullptr;
      for (std::size_t p = 0; p < frame_pixels; ++p) {
        const std::uint32_t v = plane[p];
        if (v == 0) continue;
        if (v != last_value || bits == nullptr) {
          const auto it = segment_of_value.find(v);
          if (it == segment_of_value.end()) continue;  // a value no exported label names
          bits = &frame_of(it->second);
          last_value = v;
        }
        (*bits)[p >> 3] = static_cast<std::uint8_t>((*bits)[p >> 3] | (1u << (p & 7)));
      }
    }
  }
  // The first and last planes always hold a frame (an empty one of the first segment when no
  // segment reaches them), so that a reader finds the grid's extent.
  if (!frames.empty() && grid.planes > 0) {
    const auto has_plane = [&](std::int64_t s) {
      return std::any_of(frames.begin(), frames.end(), [&](const auto& list) {
        return std::any_of(list.begin(), list.end(), [&](const auto& f) { return f.first == s; });
      });
    };
    if (!has_plane(0)) {
      frames[0].insert(frames[0].begin(), {0, std::vector<std::uint8_t>(frame_bytes, 0)});
    }
    if (!has_plane(grid.planes - 1)) {
      frames[0].emplace_back(grid.planes - 1, std::vector<std::uint8_t>(frame_bytes, 0));
    }
  }
  DcmFileFormat file;
  DcmDataset& ds = *file.getDataset();
  put_header(ds, ctx, kSegmentationStorage, new_uid(), 1);
  put_text(ds, DCM_SegmentationType, "BINARY");
  put_text(ds, DCM_SegmentsOverlap, layers.size() > 1 ? "YES" : "NO");
  put_u16(ds, DCM_BitsAllocated, 1);
  put_u16(ds, DCM_BitsStored, 1);
  put_u16(ds, DCM_HighBit, 0);
  for (const Segment& segment : segments) {
    put_segment(append_item(ds, DCM_SegmentSequence), segment, ctx);
  }
  put_dimensions(ds, true);
  auto* per_frame = new DcmSequenceOfItems(DCM_PerFrameFunctionalGroupsSequence);
  check_dcmtk(ds.insert(per_frame, true), "per-frame groups", "");
  std::size_t count = 0;
  for (const auto& list : frames) count += list.size();
  // Bits run on across frames (PS3.5 8.1.1): frames start at bit f * rows * cols.
  std::vector<std::uint8_t> pixels((count * frame_pixels + 7) / 8, 0);
  std::size_t f = 0;
  for (std::size_t segment = 0; segment < frames.size(); ++segment) {
    for (const auto& [s, bits] : frames[segment]) {
      put_frame(*per_frame, ctx, s, segments[segment].number);
      const std::size_t first_bit = f * frame_pixels;
      if (first_bit % 8 == 0) {
        std::copy(bits.begin(), bits.end(),
                  pixels.begin() + static_cast<std::ptrdiff_t>(first_bit / 8));
      } else {
        for (std::size_t p = 0; p < frame_pixels; ++p) {
          if ((static_cast<unsigned>(bits[p >> 3]) >> (p & 7)) & 1u) {
            const std::size_t b = first_bit + p;
            pixels[b >> 3] = static_cast<std::uint8_t>(pixels[b >> 3] | (1u << (b & 7)));
          }
        }
      }
      ++f;
    }
  }
  put_text(ds, DCM_NumberOfFrames, std::to_string(count));
  put_native_pixels(ds, std::move(pixels), 1);
  save(file, path, EXS_LittleEndianExplicit);
}

std::string layer_path(const std::string& path, std::size_t layer) {
  const std::filesystem::path p(path);
  return (p.parent_path() /
          (p.stem().string() + "_layer" + std::to_string(layer) + p.extension().string()))
      .string();
}

}  // namespace
}  // namespace io

DicomSegExportResult export_dicom_seg(const MaskArchive& archive, const std::string& path,
                                      const DicomSegExportOptions& options) {
  using namespace io;
  quiet_dcmtk();
  for (const std::string& name : options.names) archive.structure(name);  // NotFoundError
  DicomSegExportResult result;
  const Selection selection = select_structures(archive, options.names);
  std::vector<std::string> names = selection.structures;
  names.insert(names.end(), selection.groups.begin(), selection.groups.end());
  std::vector<ExportLayer> layers =
      pack_for_export(archive, names, Packing::kFirstFit, result.warnings);
  if (layers.empty()) throw ArgumentError(archive.path() + ": no structures to export");

  std::optional<ReferenceSeries> reference;
  PlaneGrid grid;
  Context ctx;
  ctx.options = &options;
  if (!options.reference.empty()) {
    reference = read_reference_series(options.reference);
    grid = planes_of_reference(archive.space(), *reference);
    for (const std::string& note : reference->notes) {
      result.warnings.push_back({WarningKind::kReferenceSeries, note});
    }
    ctx.study_uid = reference->study_uid.empty() ? new_uid() : reference->study_uid;
    ctx.frame_of_reference_uid =
        reference->frame_of_reference_uid.empty() ? new_uid() : reference->frame_of_reference_uid;
  } else {
    grid = planes_of_space(archive.space());
    ctx.study_uid = new_uid();
    ctx.frame_of_reference_uid = new_uid();
    result.warnings.push_back(
        {WarningKind::kStandaloneSeg,
         path + ": written without a reference series: a standalone SEG with new study, series and "
                "frame-of-reference UIDs and no patient data; viewers will not overlay it on the "
                "original images"});
  }
  if (grid.rows > 65535 || grid.cols > 65535) {
    throw ArgumentError(path + ": DICOM images hold at most 65535 rows and columns");
  }
  ctx.grid = &grid;
  ctx.series_uid = new_uid();
  for (const std::string& group : selection.groups) {
    std::vector<std::string> members = archive.structure(group).members;
    const bool all_written = std::all_of(members.begin(), members.end(), [&](const auto& m) {
      return std::find(names.begin(), names.end(), m) != names.end();
    });
    if (all_written) ctx.group_members.emplace(group, std::move(members));
  }
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[16], time[16];
  std::strftime(date, sizeof date, "%Y%m%d", &utc);
  std::strftime(time, sizeof time, "%H%M%S", &utc);
  ctx.date = date;
  ctx.time = time;

  DicomSegType type = options.type;
  if (type == DicomSegType::kAuto) {
    type = layers.size() == 1 ? DicomSegType::kLabelmap : DicomSegType::kBinary;
  }
  if (options.rle && options.jpeg_ls) {
    throw ArgumentError("RLE and JPEG-LS exclude each other: choose one");
  }
  if (type == DicomSegType::kBinary && options.jpeg_ls) {
    throw ArgumentError(path + ": JPEG-LS applies to LABELMAP (BINARY frames are 1 bit)");
  }
  if (type == DicomSegType::kBinary && options.rle) {
    result.warnings.push_back({WarningKind::kOptionNotApplied,
                               path +
                                   ": RLE not used: BINARY frames are 1 bit per pixel, which RLE "
                                   "Lossless readers do not take (written uncompressed)"});
  }
  if (type == DicomSegType::kBinary) {
    write_binary(path, layers, ctx);
    result.files.push_back(path);
  } else {
    for (std::size_t l = 0; l < layers.size(); ++l) {
      const std::string file = layers.size() == 1 ? path : layer_path(path, l);
      write_labelmap(file, layers[l], ctx, static_cast<int>(l + 1));
      result.files.push_back(file);
    }
  }
  return result;
}

}  // namespace medmask
