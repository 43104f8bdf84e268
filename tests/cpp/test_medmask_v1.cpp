// Reads every file the original Python medmask 0.1.x wrote (tests/data/compat) and checks it
// against expected.json, which was produced by medmask 0.1.3 and numpy, not by this code.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "medmask/medmask_v1.hpp"
#include "temp_dir.hpp"

using namespace medmask;

namespace {

const std::string kCompat = std::string(MEDMASK_SOURCE_DIR) + "/tests/data/compat/";

nlohmann::json expected() {
  std::ifstream in(kCompat + "expected.json");
  return nlohmann::json::parse(in);
}

void check_entry(const SegmentationMask& mask, const nlohmann::json& want) {
  EXPECT_EQ(std::string(dtype_name(mask.volume().dtype())), want["dtype"].get<std::string>());
  const auto shape = want["shape_zyx"].get<std::vector<std::int64_t>>();
  EXPECT_EQ(mask.volume().shape_zyx(), (Shape3{shape[0], shape[1], shape[2]}));
  ASSERT_EQ(mask.labels().size(), want["mapping"].size());
  const auto stats = mask.label_stats();
  for (const auto& [name, value] : want["mapping"].items()) {
    const Label& label = mask.labels().at(name);
    EXPECT_EQ(label.value, value.get<std::uint32_t>()) << name;
    const auto it = stats.find(label.value);
    const std::uint64_t voxels = it == stats.end() ? 0 : it->second.voxels;
    EXPECT_EQ(voxels, want["voxels"][name].get<std::uint64_t>()) << name;
  }
}

void check_space(const Space& space, const nlohmann::json& want) {
  const auto shape = want["shape"].get<std::vector<std::int64_t>>();
  EXPECT_EQ(space.shape_xyz(), (Shape3{shape[0], shape[1], shape[2]}));
  const auto origin = want["origin"].get<std::vector<double>>();
  const auto spacing = want["spacing"].get<std::vector<double>>();
  const char* axes[3] = {"x_orientation", "y_orientation", "z_orientation"};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_DOUBLE_EQ(space.origin_lps()[i], origin[i]);
    EXPECT_DOUBLE_EQ(space.spacing_mm()[i], spacing[i]);
    const auto axis = want[axes[i]].get<std::vector<double>>();
    for (std::size_t row = 0; row < 3; ++row)
      EXPECT_NEAR(space.direction()[row][i], axis[row], 1e-12);
  }
}

}  // namespace

TEST(MedmaskV1, SingleMaskFiles) {
  const auto want = expected();
  for (const char* name : {"liver.msk", "spleen_bool.msk", "organs_uint16.msk"}) {
    SCOPED_TRACE(name);
    ASSERT_TRUE(is_medmask_v1_file(kCompat + name));
    const LegacyFile file = read_medmask_v1(kCompat + name);
    EXPECT_EQ(file.magic, "MSK1");
    check_space(file.space, want["space_xyz"]);
    ASSERT_EQ(file.entries.size(), 1u);
    check_entry(file.entries[0].mask, want["files"][name]);
  }
}

TEST(MedmaskV1, Archives) {
  const auto want = expected();
  for (const char* name : {"organs_combined.mska", "ribs.mska"}) {
    SCOPED_TRACE(name);
    const LegacyFile file = read_medmask_v1(kCompat + name);
    EXPECT_EQ(file.magic, "MSKA");
    check_space(file.space, want["space_xyz"]);
    const auto& entries = want["files"][name];
    ASSERT_EQ(file.entries.size(), entries.size());
    for (const LegacyEntry& entry : file.entries) {
      SCOPED_TRACE(entry.name);
      ASSERT_TRUE(entries.contains(entry.name));
      check_entry(entry.mask, entries[entry.name]);
    }
  }
}

TEST(MedmaskV1, TruncatedAndCorruptFilesFailCleanly) {
  std::ifstream in(kCompat + "spleen_bool.msk", std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const medmask::testing::TempDir dir;
  const std::string path = dir.file("v1_corrupt.msk");
  auto write = [&](const std::string& content) {
    std::ofstream(path, std::ios::binary)
        .write(content.data(), static_cast<std::streamsize>(content.size()));
  };
  // Every truncation must raise a medmask::Error, never crash or return a partial mask.
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    write(bytes.substr(0, size));
    EXPECT_THROW(read_medmask_v1(path), Error) << "truncated to " << size;
  }
  // Flipping any byte either still decodes (e.g. inside JSON whitespace) or raises medmask::Error.
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    std::string flipped = bytes;
    flipped[at] = static_cast<char>(flipped[at] ^ 0x5A);
    write(flipped);
    try {
      read_medmask_v1(path);
    } catch (const Error&) {
    }
  }
  write(std::string("MSK1\x02") + std::string(80, '\0'));
  EXPECT_THROW(read_medmask_v1(path), UnsupportedError);
}

TEST(MedmaskV1, ArchivesOpenAsReadOnlyMaskArchives) {
  const auto want = expected();
  for (const char* name : {"organs_combined.mska", "ribs.mska", "liver.msk"}) {
    SCOPED_TRACE(name);
    const MaskArchive archive(kCompat + name, OpenMode::kRead);
    check_space(archive.space(), want["space_xyz"]);
    const LegacyFile file = read_medmask_v1(kCompat + name);
    ASSERT_EQ(archive.entry_names().size(), file.entries.size());
    for (const LegacyEntry& entry : file.entries) {
      SCOPED_TRACE(entry.name);
      EXPECT_TRUE(archive.load_mask(entry.name).volume().equals(entry.mask.volume()));
      const auto stats = entry.mask.label_stats();
      for (const Label& label : entry.mask.labels()) {
        const auto it = stats.find(label.value);
        EXPECT_EQ(archive.structure(label.name).stats.voxels,
                  it == stats.end() ? 0u : it->second.voxels);
        EXPECT_TRUE(archive.read_structure(label.name)
                        .equals(entry.mask.binary_mask_by_values(std::vector{label.value})));
      }
    }
  }
  EXPECT_THROW(MaskArchive(kCompat + "ribs.mska", OpenMode::kAppend), UnsupportedError);
}
