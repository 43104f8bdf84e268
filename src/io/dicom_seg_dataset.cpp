// dicom_seg_dataset: dcmdata helpers and CIELab conversions for DICOM SEG.
#include "io/dicom_seg_dataset.hpp"

#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <cmath>

#include "medmask/error.hpp"

namespace medmask::io {
namespace {

// D65 reference white (CIE 1931 2 degrees), as highdicom and dcmqi convert.
constexpr double kWhite[3] = {0.95047, 1.0, 1.08883};

double srgb_to_linear(double c) {
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double linear_to_srgb(double c) {
  return c <= 0.0031308 ? c * 12.92 : 1.055 * std::pow(c, 1.0 / 2.4) - 0.055;
}
double lab_f(double t) {
  constexpr double d = 6.0 / 29.0;
  return t > d * d * d ? std::cbrt(t) : t / (3 * d * d) + 4.0 / 29.0;
}
double lab_f_inverse(double t) {
  constexpr double d = 6.0 / 29.0;
  return t > d ? t * t * t : 3 * d * d * (t - 4.0 / 29.0);
}

}  // namespace

void quiet_dcmtk() {
  // The library never prints: DCMTK's own log (warnings about skipped elements, ...) is off.
  static const bool once = [] {
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    return true;
  }();
  (void)once;
}

void check_dcmtk(const OFCondition& status, const std::string& what, const std::string& path) {
  if (status.good()) return;
  throw FormatError(path + ": " + what + ": " + status.text(), path);
}

void put_text(DcmItem& item, const DcmTagKey& tag, const std::string& value) {
  check_dcmtk(item.putAndInsertString(DcmTag(tag), value.c_str()),
              "cannot set " + std::string(DcmTag(tag).getTagName()), "");
}

DcmItem& append_item(DcmItem& item, const DcmTagKey& sequence) {
  DcmItem* child = nullptr;
  check_dcmtk(item.findOrCreateSequenceItem(DcmTag(sequence), child, -2),
              "cannot add an item to " + std::string(DcmTag(sequence).getTagName()), "");
  return *child;
}

DcmItem& put_code(DcmItem& item, const DcmTagKey& sequence, const std::string& scheme,
                  const std::string& value, const std::string& meaning) {
  DcmItem& code = append_item(item, sequence);
  put_text(code, DCM_CodeValue, value);
  put_text(code, DCM_CodingSchemeDesignator, scheme);
  put_text(code, DCM_CodeMeaning, meaning.substr(0, 64));
  return code;
}

std::string get_text(DcmItem& item, const DcmTagKey& tag) {
  OFString value;
  if (item.findAndGetOFStringArray(tag, value).bad()) return {};
  return value.c_str();
}

std::array<std::uint16_t, 3> rgb_to_dicom_lab(Rgb rgb) {
  const double r = srgb_to_linear(rgb.r / 255.0);
  const double g = srgb_to_linear(rgb.g / 255.0);
  const double b = srgb_to_linear(rgb.b / 255.0);
  const double x = (0.4124564 * r + 0.3575761 * g + 0.1804375 * b) / kWhite[0];
  const double y = (0.2126729 * r + 0.7151522 * g + 0.0721750 * b) / kWhite[1];
  const double z = (0.0193339 * r + 0.1191920 * g + 0.9503041 * b) / kWhite[2];
  const double l = 116 * lab_f(y) - 16;
  const double a = 500 * (lab_f(x) - lab_f(y));
  const double bb = 200 * (lab_f(y) - lab_f(z));
  const auto scale = [](double v, double lo, double range) {
    return static_cast<std::uint16_t>(
        std::clamp(std::lround((v - lo) * 65535.0 / range), 0L, 65535L));
  };
  return {scale(l, 0, 100), scale(a, -128, 255), scale(bb, -128, 255)};
}

Rgb dicom_lab_to_rgb(const std::array<std::uint16_t, 3>& lab) {
  const double l = lab[0] * 100.0 / 65535.0;
  const double a = lab[1] * 255.0 / 65535.0 - 128;
  const double b = lab[2] * 255.0 / 65535.0 - 128;
  const double fy = (l + 16) / 116;
  const double x = kWhite[0] * lab_f_inverse(fy + a / 500);
  const double y = kWhite[1] * lab_f_inverse(fy);
  const double z = kWhite[2] * lab_f_inverse(fy - b / 200);
  const double rgb[3] = {3.2404542 * x - 1.5371385 * y - 0.4985314 * z,
                         -0.9692660 * x + 1.8760108 * y + 0.0415560 * z,
                         0.0556434 * x - 0.2040259 * y + 1.0572252 * z};
  std::uint8_t out[3];
  for (int c = 0; c < 3; ++c) {
    out[c] = static_cast<std::uint8_t>(
        std::clamp(std::lround(linear_to_srgb(std::clamp(rgb[c], 0.0, 1.0)) * 255.0), 0L, 255L));
  }
  return {out[0], out[1], out[2]};
}

std::string new_uid() {
  char buffer[100];
  dcmGenerateUniqueIdentifier(buffer, SITE_INSTANCE_UID_ROOT);
  return buffer;
}

}  // namespace medmask::io
