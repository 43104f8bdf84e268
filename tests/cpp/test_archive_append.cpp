// Appending, replacing and removing in place (FORMAT.md 10.1): the writer adds sections and a new
// index after the file's end and rewrites the header last, so a crash at any byte leaves the
// previous state readable.
#include <random>

#include "archive_test_support.hpp"

namespace medmask::testing {
namespace {

std::vector<std::string> names_in(const std::string& path) {
  std::vector<std::string> names;
  for (const StructureInfo& info : MaskArchive(path, OpenMode::kRead).structures()) {
    names.push_back(info.name);
  }
  return names;
}

TEST(ArchiveAppend, AppendLeavesEarlierBytesInPlace) {
  TempDir dir;
  const Space space = oblique_space({12, 10, 9});
  const Shape3 s = space.shape_zyx();
  const std::string path = dir.file("a.mska");
  {
    LabelTable labels;
    labels.add("m", 1);
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_mask("mask", SegmentationMask(box(s, {0, 0, 0}, {3, 3, 3}), labels, space));
    archive.add_structure("a", box(s, {1, 1, 1}, {4, 5, 6}));
  }
  const auto before = read_bytes(path);
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.add_structure("b", box(s, {5, 6, 7}, {8, 9, 11}));
  }
  const auto after = read_bytes(path);
  ASSERT_GT(after.size(), before.size());
  // Everything but the header is unchanged up to the old index, which is now unreferenced.
  EXPECT_TRUE(std::equal(before.begin() + 64, before.end(), after.begin() + 64));
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("a").equals(box(s, {1, 1, 1}, {4, 5, 6})));
  EXPECT_TRUE(archive.read_structure("b").equals(box(s, {5, 6, 7}, {8, 9, 11})));
  EXPECT_TRUE(archive.read_structure("m").equals(box(s, {0, 0, 0}, {3, 3, 3})));
  EXPECT_GT(archive.unreferenced_bytes(), 0u);
}

TEST(ArchiveAppend, CrashAtAnyByteLeavesThePreviousState) {
  TempDir dir;
  const Space space = oblique_space({12, 10, 9});
  const Shape3 s = space.shape_zyx();
  const std::string path = dir.file("c.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_structure("a", box(s, {1, 1, 1}, {4, 5, 6}));
  }
  const auto before = read_bytes(path);
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.add_structure("b", box(s, {0, 0, 0}, {8, 2, 2}));  // overlaps a: a second layer
    archive.remove("a");
    archive.add_structure("a", box(s, {2, 2, 2}, {3, 3, 3}));
  }
  const auto after = read_bytes(path);
  ASSERT_GT(after.size(), before.size());
  const std::string crashed = dir.file("crashed.mska");
  // Before the header is rewritten the disk holds the old file plus part of what follows it.
  for (std::size_t k = before.size(); k <= after.size(); ++k) {
    std::vector<std::uint8_t> bytes = before;
    bytes.insert(bytes.end(), after.begin() + static_cast<long>(before.size()),
                 after.begin() + static_cast<long>(k));
    write_bytes(crashed, bytes);
    const MaskArchive archive(crashed, OpenMode::kRead);
    ASSERT_EQ(archive.structures().size(), 1u) << k;
    ASSERT_TRUE(archive.read_structure("a").equals(box(s, {1, 1, 1}, {4, 5, 6}))) << k;
  }
  // With the new header, a file cut short anywhere is a clear error, never a wrong answer.
  std::mt19937 random(7);
  for (int trial = 0; trial < 64; ++trial) {
    const std::size_t k = std::uniform_int_distribution<std::size_t>(0, after.size() - 1)(random);
    write_bytes(crashed, std::vector<std::uint8_t>(after.begin(), after.begin() + long(k)));
    EXPECT_THROW(MaskArchive(crashed, OpenMode::kRead), FormatError) << k;
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("a").equals(box(s, {2, 2, 2}, {3, 3, 3})));
  EXPECT_TRUE(archive.read_structure("b").equals(box(s, {0, 0, 0}, {8, 2, 2})));
}

TEST(ArchiveAppend, ReplaceRemoveAndCompact) {
  TempDir dir;
  const Space space = oblique_space({12, 10, 9});
  const Shape3 s = space.shape_zyx();
  const std::string path = dir.file("r.mska");
  Label colored{"a", 7, Rgb{10, 20, 30}, "first", {}};
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_structure("a", box(s, {1, 1, 1}, {2, 2, 2}), colored);
    archive.add_structure("b", box(s, {4, 4, 4}, {5, 5, 5}));
    archive.add_structure("c", box(s, {6, 6, 6}, {7, 7, 7}));
  }
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.replace_structure("a", box(s, {0, 0, 0}, {8, 1, 1}));
    archive.remove("b");
    EXPECT_THROW(archive.remove("b"), NotFoundError);
  }
  EXPECT_EQ(names_in(path), (std::vector<std::string>{"a", "c"}));  // order kept
  {
    const MaskArchive archive(path, OpenMode::kRead);
    EXPECT_TRUE(archive.read_structure("a").equals(box(s, {0, 0, 0}, {8, 1, 1})));
    EXPECT_EQ(archive.structure("a").label.color, colored.color);
    EXPECT_EQ(archive.structure("a").label.description, "first");
    EXPECT_TRUE(archive.read_structure("c").equals(box(s, {6, 6, 6}, {7, 7, 7})));
    EXPECT_GT(archive.unreferenced_bytes(), 0u);
  }
  const auto grown = std::filesystem::file_size(path);
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.compact();
    EXPECT_EQ(archive.unreferenced_bytes(), 0u);
  }
  EXPECT_LT(std::filesystem::file_size(path), grown);
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("a").equals(box(s, {0, 0, 0}, {8, 1, 1})));
}

TEST(ArchiveAppend, SecondWriterIsDetected) {
  TempDir dir;
  const Space space = oblique_space({6, 6, 6});
  const Shape3 s = space.shape_zyx();
  const std::string path = dir.file("w.mska");
  { MaskArchive(path, OpenMode::kWrite, space).add_structure("a", box(s, {0, 0, 0}, {1, 1, 1})); }
  MaskArchive first(path, OpenMode::kAppend);
  {
    MaskArchive second(path, OpenMode::kAppend);
    second.add_structure("b", box(s, {3, 3, 3}, {4, 4, 4}));
  }
  first.add_structure("c", box(s, {5, 5, 5}, {5, 5, 5}));
  EXPECT_THROW(first.commit(), IoError);
  first.discard();
  EXPECT_EQ(names_in(path), (std::vector<std::string>{"a", "b"}));
}

}  // namespace
}  // namespace medmask::testing
