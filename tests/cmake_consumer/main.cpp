// Builds a two-label mask, stores it in an archive, reads it back and checks the voxels.
#include <cstdio>
#include <filesystem>

#include "medmask/medmask.hpp"

int main() {
  const medmask::Space space({4, 3, 2}, {0, 0, 0}, {1, 1, 2}, {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}});
  medmask::LabelVolume first(medmask::DType::kUInt8, space.shape_zyx());
  first.set(5, 1);
  const auto path = (std::filesystem::temp_directory_path() / "medmask_consumer.mska").string();
  {
    medmask::MaskArchive archive(path, medmask::OpenMode::kWrite, space);
    archive.add_structure("first", first);
    archive.commit();
  }
  const medmask::MaskArchive archive(path, medmask::OpenMode::kRead);
  const medmask::LabelVolume back = archive.read_structure("first");
  std::filesystem::remove(path);
  if (!back.equals(first)) {
    std::puts("consumer: round trip differs");
    return 1;
  }
  std::puts("consumer: medmask " MEDMASK_VERSION_STRING " round trip ok");
  return 0;
}
