// fuzz/fuzz_archive.cpp: a .mska (or medmask 0.1.x) file through open and every read path:
// structures, expand, load_mask, read_structure (what `verify` does), read_each, a z-range read,
// a box read, labels_at and overlapping.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_support.hpp"
#include "medmask/archive.hpp"

namespace {

void read_everything(const medmask::MaskArchive& archive) {
  using medmask::fuzz::expect_typed_errors;
  std::vector<std::string> names;
  for (const medmask::StructureInfo& info : archive.structures()) {
    names.push_back(info.name);
    expect_typed_errors([&] { archive.expand(info.name); });
  }
  for (const medmask::EntryInfo& entry : archive.entries()) (void)entry.stored_bytes;
  if (medmask::fuzz::too_large_to_decode(archive.space())) return;
  for (const std::string& entry : archive.entry_names())
    expect_typed_errors([&] { archive.load_mask(entry); });
  for (const std::string& name : names) expect_typed_errors([&] { archive.read_structure(name); });
  expect_typed_errors([&] { archive.read_each(names); });
  const auto shape = archive.space().shape_zyx();
  expect_typed_errors([&] {
    archive.read_structures(
        names, {static_cast<std::int64_t>(shape[0]) / 2, static_cast<std::int64_t>(shape[0])});
  });
  expect_typed_errors([&] {  // the central box of half the grid on each axis
    const auto half = [&](std::size_t axis) {
      const auto n = static_cast<std::int64_t>(shape[axis]);
      return medmask::ZRange{n / 4, n / 4 + n / 2};
    };
    archive.read_box(names, medmask::VoxelBox{half(0), half(1), half(2)});
  });
  expect_typed_errors([&] {
    archive.labels_at(static_cast<std::int64_t>(shape[0]) / 2,
                      static_cast<std::int64_t>(shape[1]) / 2,
                      static_cast<std::int64_t>(shape[2]) / 2);
  });
  if (!names.empty()) expect_typed_errors([&] { archive.overlapping(names.front()); });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = medmask::fuzz::write_scratch(data, size, ".mska");
  return medmask::fuzz::expect_typed_errors([&] {
    const medmask::MaskArchive archive(path, medmask::OpenMode::kRead, std::nullopt, {},
                                       medmask::fuzz::fuzz_limits());
    read_everything(archive);
  });
}
