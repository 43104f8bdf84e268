// fuzz/sample_archives.hpp: small archives of every level and layout, for the seed corpora and
// the corrupt-file, kill and concurrency tests: an oblique 14 x 11 x 9 grid, structures that
// overlap (split into layers), groups of groups, and optionally an in-place append.
#pragma once

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "medmask/archive.hpp"

namespace medmask::fuzz {

inline Space small_space() {
  const double c = std::cos(0.5), s = std::sin(0.5);
  return Space({14, 11, 9}, {-3.5, 20.25, 7.0}, {0.8, 0.9, 2.5},
               Mat3{{{c, -s, 0.0}, {s, c, 0.0}, {0.0, 0.0, 1.0}}});
}

// A ball (or a cube when box) of the given radius in voxels, as a bool volume (z, y, x).
inline LabelVolume blob(const Space& space, double cz, double cy, double cx, double radius,
                        bool box) {
  const Shape3 shape = space.shape_zyx();
  LabelVolume volume(DType::kBool, shape);
  std::size_t i = 0;
  for (std::int64_t z = 0; z < shape[0]; ++z)
    for (std::int64_t y = 0; y < shape[1]; ++y)
      for (std::int64_t x = 0; x < shape[2]; ++x, ++i) {
        const double dz = static_cast<double>(z) - cz, dy = static_cast<double>(y) - cy,
                     dx = static_cast<double>(x) - cx;
        const bool inside =
            box ? std::abs(dz) <= radius && std::abs(dy) <= radius && std::abs(dx) <= radius
                : dz * dz + dy * dy + dx * dx <= radius * radius;
        volume.set(i, inside ? 1 : 0);
      }
  return volume;
}

struct SampleLayout {
  const char* name;
  WriteOptions options;
  bool groups = false;
  bool append = false;
};

// Every level and coding, with and without groups and an in-place append.
inline std::vector<SampleLayout> sample_layouts() {
  return {
      {"fast", {19, Coding::kMedmaskCm, CompressionLevel::kFast, 4}, false, false},
      {"default_groups", {19, Coding::kMedmaskCm, CompressionLevel::kDefault, 0}, true, false},
      {"max_chunk3", {19, Coding::kMedmaskCm, CompressionLevel::kMax, 3}, true, false},
      {"zstd_groups", {3, Coding::kZstd, CompressionLevel::kDefault, 0}, true, false},
      {"appended", {19, Coding::kMedmaskCm, CompressionLevel::kDefault, 0}, true, true},
      {"zstd_appended", {3, Coding::kZstd, CompressionLevel::kDefault, 0}, false, true},
  };
}

// Writes the sample archive of a layout at path (replacing any file there).
inline void write_sample_archive(const std::string& path, const SampleLayout& layout) {
  const Space space = small_space();
  {
    MaskArchive archive(path, OpenMode::kWrite, space, layout.options);
    archive.add_structure(
        "liver", blob(space, 4, 5, 5, 3, false),
        Label{"liver", 0, Rgb{200, 80, 60}, "the liver", CodedConcept{"SCT", "10200004", "Liver"}});
    archive.add_structure("spleen", blob(space, 3, 4, 10, 2, true));
    archive.add_structure("overlap", blob(space, 5, 5, 7, 2, false), {}, false);  // split
    if (layout.groups) {
      const std::vector<std::string> organs{"liver", "spleen"};
      archive.add_group("organs", organs);
      const std::vector<std::string> all{"organs", "overlap"};
      archive.add_group("all", all);
    }
    archive.commit();
  }
  if (layout.append) {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.add_structure("kidney", blob(space, 6, 8, 3, 1, true));
    if (layout.groups) {
      const std::vector<std::string> kidneys{"kidney"};
      archive.add_group("kidneys", kidneys);
    } else {
      archive.replace_structure("spleen", blob(space, 2, 3, 11, 1, true));
    }
    archive.commit();
  }
}

}  // namespace medmask::fuzz
