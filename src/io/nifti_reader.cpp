// nifti_reader.cpp: NIfTI-1 (.nii, .nii.gz) to LabelVolume + Space (nifti1.h; docs/IMPORT_EXPORT.md
// "Geometry policy for NIfTI input").

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

#include "detail/file_io.hpp"
#include "geometry/affine_problem.hpp"
#include "io/gzip.hpp"
#include "io/nifti_header.hpp"
#include "medmask/error.hpp"
#include "medmask/nifti.hpp"

namespace medmask {

namespace {

using io::ByteBuffer;
using io::Nifti1Header;

// Corner disagreement between sform and qform worth a warning (IMPORT_EXPORT.md, geometry policy).
constexpr double kXformDisagreementMm = 1e-3;

std::size_t datatype_size(std::int16_t datatype) {
  switch (datatype) {
    case io::kNiftiUInt8:
    case io::kNiftiInt8:
      return 1;
    case io::kNiftiInt16:
    case io::kNiftiUInt16:
      return 2;
    case io::kNiftiInt32:
    case io::kNiftiUInt32:
    case io::kNiftiFloat32:
      return 4;
    default:
      return 8;
  }
}

std::string format_number(double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.9g", value);
  return buffer;
}

std::string format_affine(const Affine4& a) {
  std::string out = "[";
  for (std::size_t r = 0; r < 3; ++r) {
    out += r ? ", [" : "[";
    for (std::size_t c = 0; c < 4; ++c) out += (c ? ", " : "") + format_number(a[r][c]);
    out += "]";
  }
  return out + "]";
}

Vec3 transform_point(const Affine4& a, const Vec3& ijk) {
  Vec3 out{};
  for (std::size_t r = 0; r < 3; ++r) {
    out[r] = a[r][3];
    for (std::size_t c = 0; c < 3; ++c) out[r] += a[r][c] * ijk[c];
  }
  return out;
}

// Largest distance between the two affines' images of the grid's corner voxels.
double corner_disagreement(const Affine4& a, const Affine4& b, const Shape3& shape) {
  double worst = 0.0;
  for (int corner = 0; corner < 8; ++corner) {
    Vec3 ijk{};
    for (std::size_t axis = 0; axis < 3; ++axis) {
      ijk[axis] = (corner >> axis) & 1 ? static_cast<double>(shape[axis] - 1) : 0.0;
    }
    const Vec3 p = transform_point(a, ijk);
    const Vec3 q = transform_point(b, ijk);
    const double d = std::sqrt((p[0] - q[0]) * (p[0] - q[0]) + (p[1] - q[1]) * (p[1] - q[1]) +
                               (p[2] - q[2]) * (p[2] - q[2]));
    worst = std::max(worst, std::isnan(d) ? std::numeric_limits<double>::infinity() : d);
  }
  return worst;
}

bool is_finite(const Affine4& a) {
  for (const auto& row : a) {
    for (double v : row) {
      if (!std::isfinite(v)) return false;
    }
  }
  return true;
}

// The error text of an affine that cannot be a Space (detail::affine_ras_problem says why).
std::string unusable_affine_text(const Affine4& affine_ras, const std::string& which,
                                 const std::string& name) {
  return name + ": " + which + " " + format_affine(affine_ras) +
         " cannot be used: " + detail::affine_ras_problem(affine_ras).value_or("");
}

// FormatError when the affine is not finite (a damaged file), UnsupportedError when it is
// sheared or singular (a grid medmask does not represent).
Space space_from(const Affine4& affine_ras, const Shape3& shape, const std::string& which,
                 const std::string& name) {
  if (!is_finite(affine_ras)) {
    throw FormatError(name + ": " + which + " " + format_affine(affine_ras) + " is not finite",
                      name);
  }
  if (detail::affine_ras_problem(affine_ras)) {
    throw UnsupportedError(unusable_affine_text(affine_ras, which, name), name);
  }
  return Space::from_affine_ras(affine_ras, shape);
}

// The qform as a Space; its quaternion (b, c, d) must be a rotation's: b^2 + c^2 + d^2 <= 1
// (nibabel refuses the file otherwise; we would silently read some other rotation).
Space qform_space(const Nifti1Header& h, const Affine4& qform, const Shape3& shape,
                  const std::string& name) {
  const double norm = double{h.quatern_b} * h.quatern_b + double{h.quatern_c} * h.quatern_c +
                      double{h.quatern_d} * h.quatern_d;
  if (!(norm <= 1.0 + 3.0 * FLT_EPSILON)) {
    throw FormatError(name + ": quatern_b, quatern_c, quatern_d: b^2 + c^2 + d^2 = " +
                          format_number(norm) + " exceeds 1: not a rotation",
                      name, 256);
  }
  return space_from(qform, shape, "qform", name);
}

// Picks the affine (IMPORT_EXPORT.md: nibabel's get_best_affine unless forced) and fills the
// geometry fields of image.
void pick_affine(const Nifti1Header& h, const Shape3& shape, const std::string& name,
                 const NiftiReadOptions& options, NiftiImage& image);

// Picks the affine; when sform and qform disagree, the warning says which one was used.
void choose_space(const Nifti1Header& h, const Shape3& shape, const std::string& name,
                  const NiftiReadOptions& options, NiftiImage& image) {
  const std::int16_t sform_code = io::effective_xform_code(h.sform_code);
  const std::int16_t qform_code = io::effective_xform_code(h.qform_code);
  if (sform_code != h.sform_code) {
    image.warnings.push_back({WarningKind::kNiftiHeader,
                              "sform_code " + std::to_string(h.sform_code) +
                                  " is not a valid code (0..5); treated as 0 as nibabel does"});
  }
  if (qform_code != h.qform_code) {
    image.warnings.push_back({WarningKind::kNiftiHeader,
                              "qform_code " + std::to_string(h.qform_code) +
                                  " is not a valid code (0..5); treated as 0 as nibabel does"});
  }
  pick_affine(h, shape, name, options, image);
  if (sform_code > 0 && qform_code > 0) {
    const Affine4 sform = io::nifti1_sform_ras(h);
    const Affine4 qform = io::nifti1_qform_ras(h);
    const double gap = corner_disagreement(sform, qform, shape);
    if (gap > kXformDisagreementMm) {
      image.warnings.push_back(
          {WarningKind::kAffineDisagreement,
           "sform and qform disagree by " + format_number(gap) +
               " mm at a corner voxel; sform (RAS) " + format_affine(sform) + ", qform (RAS) " +
               format_affine(qform) + "; using the " + image.affine_used +
               (options.affine_source == AffineSource::kAuto
                    ? std::string(" (nibabel's precedence; ask for the sform or qform to choose)")
                    : std::string(" (as requested)"))});
    }
  }
}

void pick_affine(const Nifti1Header& h, const Shape3& shape, const std::string& name,
                 const NiftiReadOptions& options, NiftiImage& image) {
  const std::int16_t sform_code = io::effective_xform_code(h.sform_code);
  const std::int16_t qform_code = io::effective_xform_code(h.qform_code);
  const Affine4 sform = io::nifti1_sform_ras(h);
  const Affine4 qform = io::nifti1_qform_ras(h);
  switch (options.affine_source) {
    case AffineSource::kSform:
      if (sform_code == 0) {
        throw ArgumentError(name + ": the sform was requested but sform_code is " +
                                std::to_string(h.sform_code) + " (no valid sform)",
                            name);
      }
      image.space = space_from(sform, shape, "sform", name);
      image.affine_used = "sform";
      return;
    case AffineSource::kQform:
      if (qform_code == 0) {
        throw ArgumentError(name + ": the qform was requested but qform_code is " +
                                std::to_string(h.qform_code) + " (no valid qform)",
                            name);
      }
      image.space = qform_space(h, qform, shape, name);
      image.affine_used = "qform";
      return;
    case AffineSource::kAuto:
      break;
  }
  if (sform_code > 0) {
    // A sheared sform cannot be kept; ITK falls back to the qform in that case, so do we.
    const bool usable = !is_finite(sform) || !detail::affine_ras_problem(sform);
    if (usable || qform_code == 0) {
      image.space = space_from(sform, shape, "sform", name);  // throws when unusable
      image.affine_used = "sform";
      return;
    }
    image.warnings.push_back(
        {WarningKind::kAffineFallback,
         unusable_affine_text(sform, "sform", name) + "; using the qform instead"});
  }
  if (qform_code > 0) {
    image.space = qform_space(h, qform, shape, name);
    image.affine_used = "qform";
    return;
  }
  image.space = space_from(io::nifti1_fallback_ras(h), shape, "fallback affine", name);
  image.affine_used = "fallback";
  image.warnings.push_back({WarningKind::kAffineFallback,
                            "sform_code and qform_code are 0: fallback affine from pixdim"});
}

template <class T>
T load_voxel(const std::uint8_t* p, bool swap) {
  std::array<std::uint8_t, sizeof(T)> raw{};
  std::memcpy(raw.data(), p, sizeof(T));
  if (swap) std::reverse(raw.begin(), raw.end());
  return std::bit_cast<T>(raw);
}

struct Scaling {
  bool active = false;
  double slope = 1.0;
  double inter = 0.0;
};

// Values that cannot be labels, counted with the first example of each kind.
struct BadValues {
  std::uint64_t count = 0;
  std::size_t first_index = 0;
  double first_value = 0.0;
  void add(std::size_t index, double value) {
    if (count++ == 0) {
      first_index = index;
      first_value = value;
    }
  }
};

struct ScanResult {
  std::uint64_t max = 0;
  BadValues negative, non_integer, too_large;
};

template <class T>
double label_value(T raw, const Scaling& scaling) {
  const double v = static_cast<double>(raw);
  return scaling.active ? scaling.slope * v + scaling.inter : v;
}

// Pass 1: validates every voxel as a label (integer, 0..2^32-1) and finds the maximum.
template <class T>
ScanResult scan_voxels(const std::uint8_t* src, std::size_t count, bool swap,
                       const Scaling& scaling) {
  ScanResult result;
  constexpr bool kExact = std::is_integral_v<T> && sizeof(T) <= 4;
  for (std::size_t i = 0; i < count; ++i) {
    const T raw = load_voxel<T>(src + i * sizeof(T), swap);
    if (kExact && !scaling.active) {
      if constexpr (std::is_signed_v<T>) {
        if (raw < 0) {
          result.negative.add(i, static_cast<double>(raw));
          continue;
        }
      }
      result.max = std::max<std::uint64_t>(result.max, static_cast<std::uint64_t>(raw));
      continue;
    }
    if constexpr (std::is_integral_v<T>) {
      if (!scaling.active) {  // 64-bit integers: compare exactly, not through double
        if (std::is_signed_v<T> && raw < 0) {
          result.negative.add(i, static_cast<double>(raw));
        } else if (static_cast<std::uint64_t>(raw) > 0xFFFFFFFFu) {
          result.too_large.add(i, static_cast<double>(raw));
        } else {
          result.max = std::max<std::uint64_t>(result.max, static_cast<std::uint64_t>(raw));
        }
        continue;
      }
    }
    const double v = label_value(raw, scaling);
    if (!std::isfinite(v) || v != std::floor(v)) {
      result.non_integer.add(i, v);
    } else if (v < 0.0) {
      result.negative.add(i, v);
    } else if (v > 4294967295.0) {
      result.too_large.add(i, v);
    } else {
      result.max = std::max(result.max, static_cast<std::uint64_t>(v));
    }
  }
  return result;
}

// Pass 2: writes the validated values into the output dtype.
template <class T, class Out>
void convert_voxels(const std::uint8_t* src, std::size_t count, bool swap, const Scaling& scaling,
                    Out* out) {
  for (std::size_t i = 0; i < count; ++i) {
    const T raw = load_voxel<T>(src + i * sizeof(T), swap);
    if constexpr (std::is_integral_v<T>) {
      if (!scaling.active) {
        out[i] = static_cast<Out>(raw);
        continue;
      }
    }
    out[i] = static_cast<Out>(label_value(raw, scaling));
  }
}

std::string voxel_position(std::size_t index, const Shape3& shape) {
  const auto nx = static_cast<std::size_t>(shape[0]);
  const auto ny = static_cast<std::size_t>(shape[1]);
  return "(" + std::to_string(index % nx) + ", " + std::to_string(index / nx % ny) + ", " +
         std::to_string(index / nx / ny) + ")";
}

void report_bad_values(const ScanResult& scan, const Shape3& shape, const std::string& name,
                       std::uint64_t offset) {
  std::string problems;
  auto describe = [&](const BadValues& bad, const char* what) {
    if (bad.count == 0) return;
    if (!problems.empty()) problems += "; ";
    problems += std::to_string(bad.count) + " " + what + " values (first " +
                format_number(bad.first_value) +
                " at voxel (i, j, k) = " + voxel_position(bad.first_index, shape) + ")";
  };
  describe(scan.negative, "negative");
  describe(scan.non_integer, "non-integer");
  describe(scan.too_large, "too large (> 4294967295)");
  if (!problems.empty()) {
    throw ArgumentError(name + ": not a label image: " + problems, name, offset);
  }
}

template <class T>
LabelVolume decode_typed(const std::uint8_t* src, std::size_t count, bool swap,
                         const Scaling& scaling, const Shape3& shape, const std::string& name,
                         std::uint64_t offset) {
  const ScanResult scan = scan_voxels<T>(src, count, swap, scaling);
  report_bad_values(scan, shape, name, offset);
  const DType dtype = dtype_for_max_value(static_cast<std::uint32_t>(scan.max));
  LabelVolume volume(dtype, {shape[2], shape[1], shape[0]});
  switch (dtype) {
    case DType::kUInt8:
      convert_voxels<T>(src, count, swap, scaling, volume.data_as<std::uint8_t>());
      break;
    case DType::kUInt16:
      convert_voxels<T>(src, count, swap, scaling, volume.data_as<std::uint16_t>());
      break;
    default:
      convert_voxels<T>(src, count, swap, scaling, volume.data_as<std::uint32_t>());
      break;
  }
  return volume;
}

LabelVolume decode_voxels(const Nifti1Header& h, std::span<const std::uint8_t> bytes,
                          const std::shared_ptr<std::uint8_t[]>& owner, const Shape3& shape,
                          const Scaling& scaling, const std::string& name, std::uint64_t offset) {
  const std::size_t count = static_cast<std::size_t>(shape[0] * shape[1] * shape[2]);
  const std::uint8_t* src = bytes.data() + offset;
  const bool swap = h.big_endian != (std::endian::native == std::endian::big);
  switch (h.datatype) {
    case io::kNiftiUInt8:
      if (!scaling.active) {
        // The common case (binary masks): no validation needed, borrow the buffer if we own it.
        const Shape3 shape_zyx{shape[2], shape[1], shape[0]};
        if (owner) {
          return LabelVolume(DType::kUInt8, shape_zyx, owner.get() + offset, owner);
        }
        LabelVolume volume(DType::kUInt8, shape_zyx);
        std::memcpy(volume.data(), src, count);
        return volume;
      }
      return decode_typed<std::uint8_t>(src, count, swap, scaling, shape, name, offset);
    case io::kNiftiInt8:
      return decode_typed<std::int8_t>(src, count, swap, scaling, shape, name, offset);
    case io::kNiftiInt16:
      return decode_typed<std::int16_t>(src, count, swap, scaling, shape, name, offset);
    case io::kNiftiUInt16:
      return decode_typed<std::uint16_t>(src, count, swap, scaling, shape, name, offset);
    case io::kNiftiInt32:
      return decode_typed<std::int32_t>(src, count, swap, scaling, shape, name, offset);
    case io::kNiftiUInt32:
      return decode_typed<std::uint32_t>(src, count, swap, scaling, shape, name, offset);
    case io::kNiftiInt64:
      return decode_typed<std::int64_t>(src, count, swap, scaling, shape, name, offset);
    case io::kNiftiUInt64:
      return decode_typed<std::uint64_t>(src, count, swap, scaling, shape, name, offset);
    case io::kNiftiFloat32:
      return decode_typed<float>(src, count, swap, scaling, shape, name, offset);
    default:
      return decode_typed<double>(src, count, swap, scaling, shape, name, offset);
  }
}

// bytes is an uncompressed .nii; owner, when set, owns bytes and may be shared by the volume.
NiftiImage decode_nii(std::span<const std::uint8_t> bytes,
                      const std::shared_ptr<std::uint8_t[]>& owner, const std::string& name,
                      const NiftiReadOptions& options, const ReadLimits& limits) {
  const Nifti1Header h = io::parse_nifti1_header(bytes, name);
  const Shape3 shape = io::nifti1_shape_xyz(h);
  std::uint64_t voxels = 1;
  for (const std::int64_t extent : shape) {
    voxels *= static_cast<std::uint64_t>(extent);  // each < 2^15: no overflow
  }
  if (voxels > limits.max_voxels) {
    throw LimitError(name + ": grid of " + std::to_string(voxels) +
                         " voxels exceeds the read limit of " + std::to_string(limits.max_voxels),
                     name);
  }
  const std::uint64_t offset = io::nifti1_data_offset(h);
  // dims are int16, so count * 8 < 2^48: no overflow.
  const auto count = static_cast<std::uint64_t>(shape[0] * shape[1] * shape[2]);
  const std::uint64_t data_bytes = count * datatype_size(h.datatype);
  if (offset > bytes.size() || data_bytes > bytes.size() - offset) {
    throw FormatError(name + ": truncated: the voxel data needs " + std::to_string(data_bytes) +
                          " bytes, found " +
                          std::to_string(offset > bytes.size() ? 0 : bytes.size() - offset),
                      name, offset);
  }
  NiftiImage image;
  // Codes as nibabel reports them (invalid ones read as 0; choose_space warns about them).
  image.sform_code = io::effective_xform_code(h.sform_code);
  image.qform_code = io::effective_xform_code(h.qform_code);
  image.extensions = io::parse_nifti1_extensions(bytes, h, name);
  if (h.bitpix != static_cast<std::int16_t>(datatype_size(h.datatype) * 8)) {
    image.warnings.push_back({WarningKind::kNiftiHeader,
                              "bitpix " + std::to_string(h.bitpix) + " does not match datatype " +
                                  std::to_string(h.datatype) + "; the datatype is used"});
  }
  const int units = h.xyzt_units & 7;
  if (units == 1 || units == 3) {
    image.warnings.push_back(
        {WarningKind::kNiftiHeader, std::string("spatial units are ") +
                                        (units == 1 ? "metres" : "micrometres") +
                                        "; the affine is used as millimetres, as nibabel does"});
  }
  choose_space(h, shape, name, options, image);

  Scaling scaling;
  const double slope = h.scl_slope;
  const double inter = h.scl_inter;
  if (slope != 0.0 && std::isfinite(slope)) {  // nibabel: slope 0 or non-finite = unscaled
    if (!std::isfinite(inter)) {
      throw FormatError(
          name + ": scl_inter is not finite with a valid scl_slope " + format_number(slope), name,
          116);
    }
    scaling.active = !(slope == 1.0 && inter == 0.0);
    scaling.slope = slope;
    scaling.inter = inter;
  }
  image.volume = decode_voxels(h, bytes, owner, shape, scaling, name, offset);
  return image;
}

// owner, when set, owns bytes (so an uncompressed uint8 volume may borrow them).
NiftiImage decode_any(std::span<const std::uint8_t> bytes,
                      const std::shared_ptr<std::uint8_t[]>& owner, const std::string& name,
                      const NiftiReadOptions& options, const ReadLimits& limits) {
  if (io::is_gzip(bytes)) {
    // No valid file holds more than its voxels (8 bytes each at most) and its header.
    const std::uint64_t most_bytes =
        std::min(io::kMaxGunzipBytes, limits.max_voxels * 8 + (std::uint64_t{64} << 20));
    const ByteBuffer raw = io::gunzip(bytes, name, most_bytes);
    return decode_nii(raw.span(), raw.data, name, options, limits);
  }
  return decode_nii(bytes, owner, name, options, limits);
}

// The one whole-file reader's bytes, shared so that an uncompressed uint8 volume may borrow them.
ByteBuffer read_file(const std::string& path) {
  auto bytes = std::make_shared<std::vector<std::uint8_t>>(detail::read_file(path));
  return {std::shared_ptr<std::uint8_t[]>(bytes, bytes->data()), bytes->size()};
}

}  // namespace

NiftiImage read_nifti(const std::string& path, const NiftiReadOptions& options,
                      const ReadLimits& limits) {
  const ByteBuffer buffer = read_file(path);
  return decode_any(buffer.span(), buffer.data, path, options, limits);
}

NiftiImage read_nifti_bytes(std::span<const std::uint8_t> bytes, const std::string& name,
                            const NiftiReadOptions& options, const ReadLimits& limits) {
  // The caller's bytes outlive only this call, so the volume never borrows them.
  return decode_any(bytes, nullptr, name, options, limits);
}

}  // namespace medmask
