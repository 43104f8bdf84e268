// nifti_header.hpp (internal): the 348-byte NIfTI-1 header, its extensions and its affines.
//
// Layout and semantics: nifti1.h. Affines are RAS+ voxel-to-world, in double,
// computed as nibabel does (Nifti1Header.get_sform/get_qform/get_base_affine, after the fixes
// nibabel applies on load: invalid xform codes -> 0, pixdim 0 -> 1, negative pixdim -> abs,
// qfac other than +-1 -> 1).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "medmask/nifti.hpp"
#include "medmask/space.hpp"

namespace medmask::io {

inline constexpr std::size_t kNifti1HeaderSize = 348;
inline constexpr std::size_t kNifti1DataOffset = 352;  // header + 4-byte extender

// NIfTI datatype codes (nifti1.h).
enum NiftiDatatype : std::int16_t {
  kNiftiUInt8 = 2,
  kNiftiInt16 = 4,
  kNiftiInt32 = 8,
  kNiftiFloat32 = 16,
  kNiftiFloat64 = 64,
  kNiftiInt8 = 256,
  kNiftiUInt16 = 512,
  kNiftiUInt32 = 768,
  kNiftiInt64 = 1024,
  kNiftiUInt64 = 1280,
};

struct Nifti1Header {
  bool big_endian = false;  // byte order of the file (native fields below)
  std::int32_t sizeof_hdr = 348;
  std::array<std::int16_t, 8> dim{};
  std::int16_t datatype = 0;
  std::int16_t bitpix = 0;
  std::array<float, 8> pixdim{};
  float vox_offset = 0.0f;
  float scl_slope = 0.0f;
  float scl_inter = 0.0f;
  std::uint8_t xyzt_units = 0;
  std::array<char, 80> descrip{};
  std::int16_t qform_code = 0;
  std::int16_t sform_code = 0;
  float quatern_b = 0.0f, quatern_c = 0.0f, quatern_d = 0.0f;
  float qoffset_x = 0.0f, qoffset_y = 0.0f, qoffset_z = 0.0f;
  std::array<std::array<float, 4>, 3> srow{};
  std::array<char, 4> magic{};
  std::array<std::uint8_t, 4> extender{};  // only when the bytes hold it (352 or more)
};

// Parses and validates the header of a single-file NIfTI-1 image held in bytes.
// Throws: FormatError (truncated, bad sizeof_hdr/magic/dims/vox_offset), UnsupportedError
// (NIfTI-2, header/image pairs).
Nifti1Header parse_nifti1_header(std::span<const std::uint8_t> bytes, const std::string& name);

// The 352 bytes (header + extender) of h, little-endian.
std::vector<std::uint8_t> serialize_nifti1_header(const Nifti1Header& h);

// Byte offset of the voxel data (vox_offset, with 0 read as 352 as nifti_clib does).
std::uint64_t nifti1_data_offset(const Nifti1Header& h);

// Extensions between byte 352 and the data. Throws: FormatError for a record that overruns.
std::vector<NiftiExtension> parse_nifti1_extensions(std::span<const std::uint8_t> bytes,
                                                    const Nifti1Header& h, const std::string& name);

// Voxel extents (x, y, z); dims past the third must be 1 (checked by parse_nifti1_header).
Shape3 nifti1_shape_xyz(const Nifti1Header& h);

// xform codes as nibabel uses them: values outside 0..5 count as 0.
std::int16_t effective_xform_code(std::int16_t code) noexcept;

Affine4 nifti1_sform_ras(const Nifti1Header& h);
Affine4 nifti1_qform_ras(const Nifti1Header& h);
Affine4 nifti1_fallback_ras(const Nifti1Header& h);  // nibabel get_base_affine

// Fills the qform fields (quatern_b/c/d, qoffset, pixdim[0..3]) from a RAS affine with
// orthonormal directions, as nibabel's set_qform does.
void set_nifti1_qform(Nifti1Header& h, const Affine4& affine_ras);

}  // namespace medmask::io
