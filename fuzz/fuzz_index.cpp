// fuzz/fuzz_index.cpp: the index JSON and the data it points at, past the checksums.
// Input (archive_seal.hpp): u8 feature bits, u32 data length, data bytes, index JSON text. The
// target seals them into a .mska with every checksum recomputed, then opens and reads it as
// fuzz_archive does, so mutations reach the index validation and the decoders.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "archive_seal.hpp"
#include "fuzz_support.hpp"
#include "medmask/archive.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> file =
      medmask::fuzz::seal(medmask::fuzz::from_fuzz_input(data, size));
  const std::string path = medmask::fuzz::write_scratch(file.data(), file.size(), ".mska");
  using medmask::fuzz::expect_typed_errors;
  return expect_typed_errors([&] {
    const medmask::MaskArchive archive(path, medmask::OpenMode::kRead, std::nullopt, {},
                                       medmask::fuzz::fuzz_limits());
    std::vector<std::string> names;
    for (const medmask::StructureInfo& info : archive.structures()) {
      names.push_back(info.name);
      expect_typed_errors([&] { archive.expand(info.name); });
    }
    if (medmask::fuzz::too_large_to_decode(archive.space())) return;
    for (const std::string& entry : archive.entry_names())
      expect_typed_errors([&] { archive.load_mask(entry); });
    expect_typed_errors([&] { archive.read_each(names); });
    expect_typed_errors([&] { archive.labels_at(0, 0, 0); });
  });
}
