// nifti_header.cpp: NIfTI-1 header fields, extensions and affines (nifti1.h).
#include "io/nifti_header.hpp"

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "medmask/error.hpp"

namespace medmask::io {

namespace {

// Field offsets in the 348-byte header (nifti1.h).
constexpr std::size_t kOffSizeofHdr = 0;
constexpr std::size_t kOffDim = 40;
constexpr std::size_t kOffDatatype = 70;
constexpr std::size_t kOffBitpix = 72;
constexpr std::size_t kOffPixdim = 76;
constexpr std::size_t kOffVoxOffset = 108;
constexpr std::size_t kOffSclSlope = 112;
constexpr std::size_t kOffSclInter = 116;
constexpr std::size_t kOffXyztUnits = 123;
constexpr std::size_t kOffDescrip = 148;
constexpr std::size_t kOffQformCode = 252;
constexpr std::size_t kOffSformCode = 254;
constexpr std::size_t kOffQuatern = 256;
constexpr std::size_t kOffQoffset = 268;
constexpr std::size_t kOffSrow = 280;
constexpr std::size_t kOffMagic = 344;

template <class T>
T load(std::span<const std::uint8_t> bytes, std::size_t offset, bool big_endian) {
  std::array<std::uint8_t, sizeof(T)> raw{};
  std::memcpy(raw.data(), bytes.data() + offset, sizeof(T));
  if (big_endian != (std::endian::native == std::endian::big)) std::reverse(raw.begin(), raw.end());
  return std::bit_cast<T>(raw);
}

template <class T>
void store(std::vector<std::uint8_t>& bytes, std::size_t offset, T value) {
  auto raw = std::bit_cast<std::array<std::uint8_t, sizeof(T)>>(value);
  if constexpr (std::endian::native == std::endian::big) std::reverse(raw.begin(), raw.end());
  std::memcpy(bytes.data() + offset, raw.data(), sizeof(T));
}

// "<file>: <header field>: "; the byte offset goes into the error's offset(), not its message.
std::string at(const std::string& name, const char* field, std::size_t /*offset*/) {
  return name + ": " + field + ": ";
}

bool is_supported_datatype(std::int16_t code) {
  switch (code) {
    case kNiftiUInt8:
    case kNiftiInt16:
    case kNiftiInt32:
    case kNiftiFloat32:
    case kNiftiFloat64:
    case kNiftiInt8:
    case kNiftiUInt16:
    case kNiftiUInt32:
    case kNiftiInt64:
    case kNiftiUInt64:
      return true;
    default:
      return false;
  }
}

const char* unsupported_datatype_name(std::int16_t code) {
  switch (code) {
    case 1:
      return "binary (1 bit)";
    case 32:
      return "complex64";
    case 128:
      return "RGB24";
    case 1536:
      return "float128";
    case 1792:
      return "complex128";
    case 2048:
      return "complex256";
    case 2304:
      return "RGBA32";
    default:
      return nullptr;
  }
}

// pixdim[1..3] as nibabel uses them after its load-time fixes (0 -> 1, negative -> abs).
Vec3 fixed_zooms(const Nifti1Header& h) {
  Vec3 zooms{};
  for (std::size_t a = 0; a < 3; ++a) {
    const double z = h.pixdim[a + 1];
    zooms[a] = z == 0.0 ? 1.0 : std::abs(z);
  }
  return zooms;
}

double det3(const Mat3& m) {
  return m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
         m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
         m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
}

// Closest rotation to a nearly orthonormal m with det > 0 (Newton iteration of the polar
// decomposition, X <- (X + X^-T) / 2), so the quaternion describes an exact rotation.
Mat3 nearest_rotation(Mat3 m) {
  for (int iteration = 0; iteration < 20; ++iteration) {
    const double det = det3(m);
    Mat3 inv_t{};  // inverse transpose = cofactor matrix / det
    inv_t[0][0] = (m[1][1] * m[2][2] - m[1][2] * m[2][1]) / det;
    inv_t[0][1] = -(m[1][0] * m[2][2] - m[1][2] * m[2][0]) / det;
    inv_t[0][2] = (m[1][0] * m[2][1] - m[1][1] * m[2][0]) / det;
    inv_t[1][0] = -(m[0][1] * m[2][2] - m[0][2] * m[2][1]) / det;
    inv_t[1][1] = (m[0][0] * m[2][2] - m[0][2] * m[2][0]) / det;
    inv_t[1][2] = -(m[0][0] * m[2][1] - m[0][1] * m[2][0]) / det;
    inv_t[2][0] = (m[0][1] * m[1][2] - m[0][2] * m[1][1]) / det;
    inv_t[2][1] = -(m[0][0] * m[1][2] - m[0][2] * m[1][0]) / det;
    inv_t[2][2] = (m[0][0] * m[1][1] - m[0][1] * m[1][0]) / det;
    double change = 0.0;
    for (std::size_t r = 0; r < 3; ++r) {
      for (std::size_t c = 0; c < 3; ++c) {
        const double next = 0.5 * (m[r][c] + inv_t[r][c]);
        change = std::max(change, std::abs(next - m[r][c]));
        m[r][c] = next;
      }
    }
    if (change < 1e-15) break;
  }
  return m;
}

}  // namespace

Nifti1Header parse_nifti1_header(std::span<const std::uint8_t> bytes, const std::string& name) {
  if (bytes.size() < kNifti1HeaderSize) {
    throw FormatError(at(name, "header", 0) + "truncated; expected 348 bytes, found " +
                          std::to_string(bytes.size()),
                      name, 0);
  }
  Nifti1Header h;
  const std::int32_t sizeof_le = load<std::int32_t>(bytes, kOffSizeofHdr, false);
  const std::int32_t sizeof_be = load<std::int32_t>(bytes, kOffSizeofHdr, true);
  if (sizeof_le == 540 || sizeof_be == 540) {
    throw UnsupportedError(at(name, "sizeof_hdr", 0) + "NIfTI-2 is not supported; expected 348",
                           name, 0);
  }
  if (sizeof_le == 348) {
    h.big_endian = false;
  } else if (sizeof_be == 348) {
    h.big_endian = true;
  } else {
    throw FormatError(at(name, "sizeof_hdr", 0) + "not a NIfTI-1 header; expected 348, found " +
                          std::to_string(sizeof_le),
                      name, 0);
  }
  const bool be = h.big_endian;
  h.sizeof_hdr = 348;
  for (std::size_t i = 0; i < 8; ++i) h.dim[i] = load<std::int16_t>(bytes, kOffDim + 2 * i, be);
  h.datatype = load<std::int16_t>(bytes, kOffDatatype, be);
  h.bitpix = load<std::int16_t>(bytes, kOffBitpix, be);
  for (std::size_t i = 0; i < 8; ++i) h.pixdim[i] = load<float>(bytes, kOffPixdim + 4 * i, be);
  h.vox_offset = load<float>(bytes, kOffVoxOffset, be);
  h.scl_slope = load<float>(bytes, kOffSclSlope, be);
  h.scl_inter = load<float>(bytes, kOffSclInter, be);
  h.xyzt_units = bytes[kOffXyztUnits];
  std::memcpy(h.descrip.data(), bytes.data() + kOffDescrip, h.descrip.size());
  h.qform_code = load<std::int16_t>(bytes, kOffQformCode, be);
  h.sform_code = load<std::int16_t>(bytes, kOffSformCode, be);
  h.quatern_b = load<float>(bytes, kOffQuatern, be);
  h.quatern_c = load<float>(bytes, kOffQuatern + 4, be);
  h.quatern_d = load<float>(bytes, kOffQuatern + 8, be);
  h.qoffset_x = load<float>(bytes, kOffQoffset, be);
  h.qoffset_y = load<float>(bytes, kOffQoffset + 4, be);
  h.qoffset_z = load<float>(bytes, kOffQoffset + 8, be);
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 4; ++c) {
      h.srow[r][c] = load<float>(bytes, kOffSrow + 16 * r + 4 * c, be);
    }
  }
  std::memcpy(h.magic.data(), bytes.data() + kOffMagic, 4);
  if (bytes.size() >= kNifti1DataOffset) {
    std::memcpy(h.extender.data(), bytes.data() + kNifti1HeaderSize, 4);
  }

  if (std::memcmp(h.magic.data(), "ni1\0", 4) == 0) {
    throw UnsupportedError(at(name, "magic", kOffMagic) +
                               "header/image pairs (.hdr/.img) are not supported; expected n+1",
                           name, kOffMagic);
  }
  if (std::memcmp(h.magic.data(), "n+1\0", 4) != 0) {
    throw FormatError(at(name, "magic", kOffMagic) + "bad magic; expected \"n+1\\0\"", name,
                      kOffMagic);
  }
  const int ndim = h.dim[0];
  if (ndim < 1 || ndim > 7) {
    throw FormatError(at(name, "dim[0]", kOffDim) +
                          "dimension count out of range; expected 1..7, "
                          "found " +
                          std::to_string(ndim),
                      name, kOffDim);
  }
  std::int64_t extra_volumes = 1;
  for (int i = 1; i <= ndim; ++i) {
    const auto index = static_cast<std::size_t>(i);
    if (h.dim[index] < 1) {
      throw FormatError(at(name, "dim", kOffDim + 2 * index) + "dim[" + std::to_string(i) +
                            "] must be >= 1, found " + std::to_string(h.dim[index]),
                        name, kOffDim + 2 * index);
    }
    if (i > 3) extra_volumes *= h.dim[index];
  }
  if (extra_volumes > 1) {
    throw UnsupportedError(at(name, "dim", kOffDim) + std::to_string(ndim) + "-D image with " +
                               std::to_string(extra_volumes) +
                               " volumes; expected one 3-D label volume",
                           name, kOffDim);
  }
  if (!is_supported_datatype(h.datatype)) {
    if (const char* type = unsupported_datatype_name(h.datatype)) {
      throw UnsupportedError(
          at(name, "datatype", kOffDatatype) + type + " data is not a label image", name,
          kOffDatatype);
    }
    throw FormatError(
        at(name, "datatype", kOffDatatype) + "unknown datatype code " + std::to_string(h.datatype),
        name, kOffDatatype);
  }
  const float off = h.vox_offset;
  if (!std::isfinite(off) || off < 0.0f || off != std::floor(off) || off > 2.0e9f ||
      (off != 0.0f && off < static_cast<float>(kNifti1DataOffset))) {
    throw FormatError(at(name, "vox_offset", kOffVoxOffset) +
                          "invalid data offset; expected 0 or an integer >= 352, found " +
                          std::to_string(off),
                      name, kOffVoxOffset);
  }
  return h;
}

std::vector<std::uint8_t> serialize_nifti1_header(const Nifti1Header& h) {
  std::vector<std::uint8_t> out(kNifti1DataOffset, 0);
  store<std::int32_t>(out, kOffSizeofHdr, 348);
  for (std::size_t i = 0; i < 8; ++i) store<std::int16_t>(out, kOffDim + 2 * i, h.dim[i]);
  store<std::int16_t>(out, kOffDatatype, h.datatype);
  store<std::int16_t>(out, kOffBitpix, h.bitpix);
  for (std::size_t i = 0; i < 8; ++i) store<float>(out, kOffPixdim + 4 * i, h.pixdim[i]);
  store<float>(out, kOffVoxOffset, h.vox_offset);
  store<float>(out, kOffSclSlope, h.scl_slope);
  store<float>(out, kOffSclInter, h.scl_inter);
  out[kOffXyztUnits] = h.xyzt_units;
  std::memcpy(out.data() + kOffDescrip, h.descrip.data(), h.descrip.size());
  store<std::int16_t>(out, kOffQformCode, h.qform_code);
  store<std::int16_t>(out, kOffSformCode, h.sform_code);
  store<float>(out, kOffQuatern, h.quatern_b);
  store<float>(out, kOffQuatern + 4, h.quatern_c);
  store<float>(out, kOffQuatern + 8, h.quatern_d);
  store<float>(out, kOffQoffset, h.qoffset_x);
  store<float>(out, kOffQoffset + 4, h.qoffset_y);
  store<float>(out, kOffQoffset + 8, h.qoffset_z);
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 4; ++c) store<float>(out, kOffSrow + 16 * r + 4 * c, h.srow[r][c]);
  }
  std::memcpy(out.data() + kOffMagic, h.magic.data(), 4);
  std::memcpy(out.data() + kNifti1HeaderSize, h.extender.data(), 4);
  return out;
}

std::uint64_t nifti1_data_offset(const Nifti1Header& h) {
  return h.vox_offset == 0.0f ? kNifti1DataOffset : static_cast<std::uint64_t>(h.vox_offset);
}

std::vector<NiftiExtension> parse_nifti1_extensions(std::span<const std::uint8_t> bytes,
                                                    const Nifti1Header& h,
                                                    const std::string& name) {
  std::vector<NiftiExtension> out;
  if (bytes.size() < kNifti1DataOffset || h.extender[0] == 0) return out;
  const std::uint64_t end = std::min<std::uint64_t>(nifti1_data_offset(h), bytes.size());
  std::uint64_t pos = kNifti1DataOffset;
  while (pos + 8 <= end) {
    const auto at_pos = static_cast<std::size_t>(pos);
    const std::int32_t esize = load<std::int32_t>(bytes, at_pos, h.big_endian);
    const std::int32_t ecode = load<std::int32_t>(bytes, at_pos + 4, h.big_endian);
    if (esize < 8 || pos + static_cast<std::uint64_t>(esize) > end) {
      throw FormatError(at(name, "extension esize", at_pos) +
                            "record does not fit before the voxel data; found esize " +
                            std::to_string(esize),
                        name, pos);
    }
    NiftiExtension extension;
    extension.code = ecode;
    extension.data.assign(reinterpret_cast<const char*>(bytes.data() + at_pos + 8),
                          static_cast<std::size_t>(esize) - 8);
    out.push_back(std::move(extension));
    pos += static_cast<std::uint64_t>(esize);
  }
  return out;
}

Shape3 nifti1_shape_xyz(const Nifti1Header& h) {
  Shape3 shape{1, 1, 1};
  for (int i = 1; i <= std::min<int>(h.dim[0], 3); ++i) {
    shape[static_cast<std::size_t>(i - 1)] = h.dim[static_cast<std::size_t>(i)];
  }
  return shape;
}

std::int16_t effective_xform_code(std::int16_t code) noexcept {
  return code >= 0 && code <= 5 ? code : std::int16_t{0};
}

Affine4 nifti1_sform_ras(const Nifti1Header& h) {
  Affine4 out{};
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 4; ++c) out[r][c] = h.srow[r][c];
  }
  out[3] = {0.0, 0.0, 0.0, 1.0};
  return out;
}

Affine4 nifti1_qform_ras(const Nifti1Header& h) {
  const double b = h.quatern_b;
  const double c = h.quatern_c;
  const double d = h.quatern_d;
  // a is implied (a >= 0); nibabel's fillpositive sets it to 0 within 3 float32 epsilons of
  // zero, and the normalisation below makes the quaternion unit length in every case.
  const double w2 = 1.0 - (b * b + c * c + d * d);
  const double a = std::abs(w2) < 3.0 * FLT_EPSILON || w2 < 0.0 ? 0.0 : std::sqrt(w2);
  const double n = a * a + b * b + c * c + d * d;
  Mat3 rot{{{1.0, 0.0, 0.0}, {0.0, 1.0, 0.0}, {0.0, 0.0, 1.0}}};
  if (n > 1e-12) {
    const double s = 2.0 / n;
    rot = {{{1.0 - s * (c * c + d * d), s * (b * c - a * d), s * (b * d + a * c)},
            {s * (b * c + a * d), 1.0 - s * (b * b + d * d), s * (c * d - a * b)},
            {s * (b * d - a * c), s * (c * d + a * b), 1.0 - s * (b * b + c * c)}}};
  }
  Vec3 zooms = fixed_zooms(h);
  const double qfac = h.pixdim[0] == -1.0f ? -1.0 : 1.0;
  zooms[2] *= qfac;
  Affine4 out{};
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t col = 0; col < 3; ++col) out[r][col] = rot[r][col] * zooms[col];
  }
  out[0][3] = h.qoffset_x;
  out[1][3] = h.qoffset_y;
  out[2][3] = h.qoffset_z;
  out[3] = {0.0, 0.0, 0.0, 1.0};
  return out;
}

Affine4 nifti1_fallback_ras(const Nifti1Header& h) {
  // nibabel shape_zoom_affine(shape, zooms, x_flip=True): origin at the volume centre.
  const Shape3 shape = nifti1_shape_xyz(h);
  const Vec3 fixed = fixed_zooms(h);
  Affine4 out{};
  for (std::size_t a = 0; a < 3; ++a) {
    // Axes beyond dim[0] have zoom 1 in nibabel, whatever pixdim says.
    double zoom = static_cast<int>(a) < h.dim[0] ? fixed[a] : 1.0;
    if (a == 0) zoom = -zoom;
    out[a][a] = zoom;
    out[a][3] = -(static_cast<double>(shape[a]) - 1.0) / 2.0 * zoom;
  }
  out[3] = {0.0, 0.0, 0.0, 1.0};
  return out;
}

void set_nifti1_qform(Nifti1Header& h, const Affine4& affine_ras) {
  Vec3 zooms{};
  Mat3 rot{};
  for (std::size_t c = 0; c < 3; ++c) {
    zooms[c] = std::sqrt(affine_ras[0][c] * affine_ras[0][c] + affine_ras[1][c] * affine_ras[1][c] +
                         affine_ras[2][c] * affine_ras[2][c]);
    for (std::size_t r = 0; r < 3; ++r) rot[r][c] = affine_ras[r][c] / zooms[c];
  }
  // A left-handed grid is a rotation with its third axis negated: qfac = -1.
  double qfac = 1.0;
  if (det3(rot) < 0.0) {
    qfac = -1.0;
    for (std::size_t r = 0; r < 3; ++r) rot[r][2] = -rot[r][2];
  }
  const Mat3 m = nearest_rotation(rot);
  // Rotation matrix to quaternion as nifti_clib's nifti_mat44_to_quatern (a >= 0).
  double a = m[0][0] + m[1][1] + m[2][2] + 1.0;
  double b = 0.0, c = 0.0, d = 0.0;
  if (a > 0.5) {
    a = 0.5 * std::sqrt(a);
    b = 0.25 * (m[2][1] - m[1][2]) / a;
    c = 0.25 * (m[0][2] - m[2][0]) / a;
    d = 0.25 * (m[1][0] - m[0][1]) / a;
  } else {
    const double xd = 1.0 + m[0][0] - (m[1][1] + m[2][2]);
    const double yd = 1.0 + m[1][1] - (m[0][0] + m[2][2]);
    const double zd = 1.0 + m[2][2] - (m[0][0] + m[1][1]);
    if (xd > 1.0) {
      b = 0.5 * std::sqrt(xd);
      c = 0.25 * (m[0][1] + m[1][0]) / b;
      d = 0.25 * (m[0][2] + m[2][0]) / b;
      a = 0.25 * (m[2][1] - m[1][2]) / b;
    } else if (yd > 1.0) {
      c = 0.5 * std::sqrt(yd);
      b = 0.25 * (m[0][1] + m[1][0]) / c;
      d = 0.25 * (m[1][2] + m[2][1]) / c;
      a = 0.25 * (m[0][2] - m[2][0]) / c;
    } else {
      d = 0.5 * std::sqrt(zd);
      b = 0.25 * (m[0][2] + m[2][0]) / d;
      c = 0.25 * (m[1][2] + m[2][1]) / d;
      a = 0.25 * (m[1][0] - m[0][1]) / d;
    }
    if (a < 0.0) {
      b = -b;
      c = -c;
      d = -d;
    }
  }
  h.quatern_b = static_cast<float>(b);
  h.quatern_c = static_cast<float>(c);
  h.quatern_d = static_cast<float>(d);
  h.qoffset_x = static_cast<float>(affine_ras[0][3]);
  h.qoffset_y = static_cast<float>(affine_ras[1][3]);
  h.qoffset_z = static_cast<float>(affine_ras[2][3]);
  h.pixdim[0] = static_cast<float>(qfac);
  for (std::size_t i = 0; i < 3; ++i) h.pixdim[i + 1] = static_cast<float>(zooms[i]);
}

}  // namespace medmask::io
