// cli/file_kind.cpp: recognises other formats by their signatures (magic numbers).
#include "file_kind.hpp"

#include <array>
#include <cstring>
#include <fstream>
#include <string_view>

namespace medmask::cli {

namespace {

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

}  // namespace

std::string describe_foreign_file(const std::string& path) noexcept {
  try {
    std::ifstream in(path, std::ios::binary);
    std::array<char, 352> head{};
    in.read(head.data(), head.size());
    const auto n = static_cast<std::size_t>(in.gcount());
    const std::string_view bytes(head.data(), n);
    const std::string pack = "; pack it into an archive with `medmask pack`";
    if (n >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
        static_cast<unsigned char>(head[1]) == 0x8b) {
      if (ends_with(path, ".nii.gz")) return "a gzip-compressed NIfTI image" + pack;
      return "a gzip-compressed file, not a MedMask archive";
    }
    // NIfTI-1: magic "n+1\0" (or "ni1\0") at byte 344 (nifti1.h).
    if (n >= 348 && (std::memcmp(head.data() + 344, "n+1", 4) == 0 ||
                     std::memcmp(head.data() + 344, "ni1", 4) == 0)) {
      return "a NIfTI-1 image" + pack;
    }
    if (bytes.starts_with("NRRD")) return "an NRRD file (3D Slicer .seg.nrrd)" + pack;
    if (bytes.starts_with("PK\x03\x04")) return "a zip file (numpy .npz?)" + pack;
    if (n >= 132 && std::memcmp(head.data() + 128, "DICM", 4) == 0) return "a DICOM file" + pack;
    if (bytes.starts_with("MSKA") || bytes.starts_with("MSK1")) {
      return "a medmask 0.1.x file; upgrade it with `medmask convert`";
    }
  } catch (...) {
  }
  return {};
}

}  // namespace medmask::cli
