// nifti_writer.cpp: LabelVolume + Space to NIfTI-1 single file, written atomically.
#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

#include "detail/atomic_file.hpp"
#include "io/gzip.hpp"
#include "io/nifti_header.hpp"
#include "medmask/error.hpp"
#include "medmask/nifti.hpp"

namespace medmask {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void append_le32(std::vector<std::uint8_t>& out, std::int32_t value) {
  const auto u = static_cast<std::uint32_t>(value);
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<std::uint8_t>(u >> shift));
}

// The voxels in little-endian order, as NIfTI writers conventionally produce.
void append_voxels(std::vector<std::uint8_t>& out, const LabelVolume& volume) {
  const std::size_t start = out.size();
  out.resize(start + volume.byte_size());
  std::memcpy(out.data() + start, volume.data(), volume.byte_size());
  if constexpr (std::endian::native == std::endian::big) {
    const std::size_t width = dtype_size(volume.dtype());
    for (std::size_t i = start; width > 1 && i < out.size(); i += width) {
      std::reverse(out.begin() + static_cast<std::ptrdiff_t>(i),
                   out.begin() + static_cast<std::ptrdiff_t>(i + width));
    }
  }
}

}  // namespace

void write_nifti(const std::string& path, const LabelVolume& volume, const Space& space,
                 const NiftiWriteOptions& options) {
  if (volume.shape_zyx() != space.shape_zyx()) {
    const auto& v = volume.shape_zyx();
    const auto s = space.shape_zyx();
    throw ArgumentError(path + ": volume shape (z, y, x) = (" + std::to_string(v[0]) + ", " +
                            std::to_string(v[1]) + ", " + std::to_string(v[2]) +
                            ") does not match the space's (" + std::to_string(s[0]) + ", " +
                            std::to_string(s[1]) + ", " + std::to_string(s[2]) + ")",
                        path);
  }
  // 0 ("unknown") would write neither sform nor qform: the geometry would be lost.
  if (options.xform_code < 1 || options.xform_code > 5) {
    throw ArgumentError(
        path + ": xform_code must be in 1..5, found " + std::to_string(options.xform_code), path);
  }
  const bool gzipped = ends_with(path, ".gz");
  if (gzipped && (options.gzip_level < 0 || options.gzip_level > 12)) {
    throw ArgumentError(
        path + ": gzip_level must be in 0..12, found " + std::to_string(options.gzip_level), path);
  }
  io::Nifti1Header h;
  h.dim = {3, 1, 1, 1, 1, 1, 1, 1};
  for (std::size_t a = 0; a < 3; ++a) {
    const std::int64_t extent = space.shape_xyz()[a];
    if (extent > std::numeric_limits<std::int16_t>::max()) {
      throw LimitError(path + ": extent " + std::to_string(extent) +
                           " exceeds NIfTI-1's limit of 32767 voxels per axis",
                       path);
    }
    h.dim[a + 1] = static_cast<std::int16_t>(extent);
  }
  switch (volume.dtype()) {
    case DType::kBool:
    case DType::kUInt8:
      h.datatype = io::kNiftiUInt8;
      h.bitpix = 8;
      break;
    case DType::kUInt16:
      h.datatype = io::kNiftiUInt16;
      h.bitpix = 16;
      break;
    case DType::kUInt32:
      h.datatype = io::kNiftiUInt32;
      h.bitpix = 32;
      break;
  }
  h.pixdim.fill(1.0f);
  const Affine4 affine_ras = space.to_affine_ras();
  for (std::size_t r = 0; r < 3; ++r) {
    for (std::size_t c = 0; c < 4; ++c) h.srow[r][c] = static_cast<float>(affine_ras[r][c]);
  }
  io::set_nifti1_qform(h, affine_ras);  // pixdim[0] = qfac, pixdim[1..3] = spacing
  h.sform_code = options.xform_code;
  h.qform_code = options.xform_code;
  h.scl_slope = 1.0f;
  h.scl_inter = 0.0f;
  h.xyzt_units = 2;  // mm
  std::memcpy(h.descrip.data(), "MedMask", 7);
  std::memcpy(h.magic.data(), "n+1\0", 4);

  std::vector<std::uint8_t> extensions;
  for (const NiftiExtension& extension : options.extensions) {
    // esize counts the 8-byte record head and is padded to a multiple of 16 (nifti1.h).
    const std::uint64_t esize = (8 + std::uint64_t{extension.data.size()} + 15) / 16 * 16;
    if (esize + extensions.size() > 1u << 30) {
      throw LimitError(path + ": NIfTI extensions larger than 1 GiB", path);
    }
    append_le32(extensions, static_cast<std::int32_t>(esize));
    append_le32(extensions, extension.code);
    const std::size_t start = extensions.size();
    extensions.resize(start + static_cast<std::size_t>(esize) - 8, 0);
    std::memcpy(extensions.data() + start, extension.data.data(), extension.data.size());
  }
  h.extender[0] = extensions.empty() ? 0 : 1;
  h.vox_offset = static_cast<float>(io::kNifti1DataOffset + extensions.size());

  std::vector<std::uint8_t> file = io::serialize_nifti1_header(h);
  file.reserve(file.size() + extensions.size() + volume.byte_size());
  file.insert(file.end(), extensions.begin(), extensions.end());
  append_voxels(file, volume);
  if (gzipped) {
    detail::write_file_atomic(path, io::gzip_compress(file, options.gzip_level));
  } else {
    detail::write_file_atomic(path, file);
  }
}

}  // namespace medmask
