// MaskArchive's model of an open archive (container/entry_table, archive_impl.hpp): entries kept
// by stable ids, so that dropping an emptied layer leaves every other reference valid;
// replace_structure all or nothing; random removes, adds and commits keep every other structure
// voxel for voxel. Expected masks are kept here, independently of the archive.
#include <algorithm>
#include <map>
#include <random>

#include "archive_test_support.hpp"

namespace medmask::testing {
namespace {

const Space kSpace = oblique_space({12, 10, 8});  // (z, y, x) = (8, 10, 12)
const Shape3 kShape = kSpace.shape_zyx();

LabelVolume with_voxels(LabelVolume volume, const std::vector<Shape3>& voxels) {
  for (const Shape3& v : voxels) {
    volume.set(static_cast<std::size_t>((v[0] * kShape[1] + v[1]) * kShape[2] + v[2]), 1);
  }
  return volume;
}

bool same_voxels(const LabelVolume& a, const LabelVolume& b) {
  if (a.shape_zyx() != b.shape_zyx()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a.get(i) != 0) != (b.get(i) != 0)) return false;
  }
  return true;
}

// A mask entry whose label `name` (value 1) covers box [lo, hi].
SegmentationMask one_label_mask(const std::string& name, Shape3 lo, Shape3 hi) {
  LabelTable labels;
  labels.add(Label{name, 1, {}, {}, {}});
  return SegmentationMask(box(kShape, lo, hi).converted(DType::kUInt8), labels, kSpace);
}

std::vector<std::string> structure_names(const MaskArchive& archive) {
  std::vector<std::string> names;
  for (const StructureInfo& info : archive.structures()) {
    if (!info.is_group()) names.push_back(info.name);
  }
  return names;
}

// What the tests compare of a structure: where its parts are and what the index says of them.
std::string described(const MaskArchive& archive) {
  std::string out;
  for (const StructureInfo& info : archive.structures()) {
    out += info.name + ":" + std::to_string(info.stats.voxels);
    for (const StructurePart& part : info.parts) {
      out += " " + part.entry + "=" + std::to_string(part.value) + "/" +
             std::to_string(part.stats.voxels);
    }
    for (const std::string& member : info.members) out += " +" + member;
    out += "\n";
  }
  for (const EntryInfo& entry : archive.entries()) {
    out += entry.name + (entry.coding ? " coded " : " pending ") +
           std::to_string(entry.stored_bytes) + "\n";
  }
  return out;
}

// Entries after a dropped layer move up by one; reads of them must still find their own voxels,
// not the decoded chunks of the entry that held their position before (the chunk cache was keyed
// by position).
TEST(ArchiveModel, DroppingAnEmptiedLayerKeepsReadsOfLaterEntries) {
  TempDir dir;
  const std::string path = dir.file("a.mska");
  const LabelVolume s0 = box(kShape, {0, 0, 0}, {1, 1, 1});
  const LabelVolume one = box(kShape, {2, 2, 2}, {4, 5, 6});
  const LabelVolume two = box(kShape, {5, 6, 7}, {7, 9, 11});
  {
    MaskArchive archive(path, OpenMode::kWrite, kSpace);
    archive.add_structure("s0", s0);  // layer0, the first entry
    archive.add_mask("m1", one_label_mask("one", {2, 2, 2}, {4, 5, 6}));
    archive.add_mask("m2", one_label_mask("two", {5, 6, 7}, {7, 9, 11}));
    archive.commit();
  }
  {
    MaskArchive archive(path, OpenMode::kAppend);
    EXPECT_TRUE(same_voxels(archive.read_structure("one"), one));  // decoded and cached
    EXPECT_TRUE(same_voxels(archive.read_structure("two"), two));
    archive.remove("s0");  // layer0 is left empty and dropped
    EXPECT_EQ(archive.entry_names(), (std::vector<std::string>{"m1", "m2"}));
    EXPECT_TRUE(same_voxels(archive.read_structure("two"), two));
    EXPECT_TRUE(same_voxels(archive.read_structure("one"), one));
    archive.commit();
    EXPECT_TRUE(same_voxels(archive.read_structure("two"), two));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_FALSE(archive.contains("s0"));
  EXPECT_TRUE(same_voxels(archive.read_structure("one"), one));
  EXPECT_TRUE(same_voxels(archive.read_structure("two"), two));
}

TEST(ArchiveModel, ReplaceRefusedBeforeAnyChangeLeavesTheArchiveAsItWas) {
  TempDir dir;
  const std::string path = dir.file("a.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, kSpace);
    archive.add_structure("a", box(kShape, {0, 0, 0}, {3, 3, 3}));
    archive.add_structure("b", box(kShape, {2, 2, 2}, {7, 9, 11}));
    archive.add_group("ab", std::vector<std::string>{"a", "b"});
  }
  const std::vector<std::uint8_t> file = read_bytes(path);
  {
    MaskArchive archive(path, OpenMode::kAppend);
    const std::string before = described(archive);
    EXPECT_THROW(archive.replace_structure("a", LabelVolume(DType::kBool, {8, 10, 11})),
                 ArgumentError);
    EXPECT_THROW(archive.replace_structure("ab", box(kShape, {0, 0, 0}, {1, 1, 1})),
                 ArgumentError);  // a group is defined by its members
    EXPECT_THROW(archive.replace_structure("c", box(kShape, {0, 0, 0}, {1, 1, 1})), NotFoundError);
    EXPECT_EQ(described(archive), before);
  }
  EXPECT_EQ(read_bytes(path), file);
}

// b lies in two layers (2 of its voxels overlap a); the second layer's section is corrupt, so
// replacing b fails after its first part has left layer0. The archive must be as before.
TEST(ArchiveModel, ReplaceFailingMidwayLeavesStructuresLayersAndFileUnchanged) {
  TempDir dir;
  const std::string path = dir.file("a.mska");
  const LabelVolume a = box(kShape, {0, 0, 0}, {7, 9, 5});
  const LabelVolume b = with_voxels(box(kShape, {0, 0, 6}, {7, 9, 11}), {{0, 0, 5}, {0, 1, 5}});
  {
    MaskArchive archive(path, OpenMode::kWrite, kSpace, testing::shared_layers());
    archive.add_structure("a", a);
    archive.add_structure("b", b);
    archive.commit();
    ASSERT_EQ(archive.structure("b").parts.size(), 2U);
    ASSERT_EQ(archive.structure("b").parts[1].entry, "layer1");
  }
  std::vector<std::uint8_t> file = read_bytes(path);
  const nlohmann::json index = read_index(path);
  for (const auto& entry : index["entries"]) {
    if (entry["name"] == "layer1") {
      file[entry["offset"].get<std::size_t>() + entry["length"].get<std::size_t>() / 2] ^= 0x5a;
    }
  }
  write_bytes(path, file);

  {
    MaskArchive archive(path, OpenMode::kAppend);
    const std::string before = described(archive);
    EXPECT_THROW(archive.replace_structure("b", box(kShape, {0, 0, 8}, {7, 9, 11})), FormatError);
    EXPECT_EQ(described(archive), before);
    EXPECT_THROW(archive.remove("b"), FormatError);
    EXPECT_EQ(described(archive), before);
    EXPECT_TRUE(same_voxels(archive.read_structure("a"), a));
    // An edit that does not touch the layers, then a commit: the index must still give b both
    // of its parts (the failed replace had taken the first out of layer0's labels).
    archive.add_mask("m", one_label_mask("m", {0, 0, 0}, {0, 0, 0}));
    EXPECT_EQ(archive.structure("b").stats.voxels, 482U);
    EXPECT_EQ(archive.structure("b").parts.size(), 2U);
    archive.commit();
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(archive.structure("b").stats.voxels, 482U);
  EXPECT_EQ(archive.structure("b").parts.size(), 2U);
  EXPECT_TRUE(same_voxels(archive.read_structure("a"), a));
}

TEST(ArchiveModel, RemoveThenAddThenCommitRoundTrips) {
  TempDir dir;
  const std::string path = dir.file("a.mska");
  const LabelVolume a = box(kShape, {0, 0, 0}, {3, 4, 5});
  const LabelVolume b = box(kShape, {2, 3, 4}, {7, 9, 11});
  {
    MaskArchive archive(path, OpenMode::kWrite, kSpace);
    archive.add_structure("a", a);
    archive.add_structure("b", b);
  }
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.remove("a");
    archive.remove("b");
    archive.add_structure("b", a);  // the names come back with other voxels
    archive.add_structure("a", b);
    archive.commit();
    EXPECT_TRUE(same_voxels(archive.read_structure("a"), b));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(structure_names(archive), (std::vector<std::string>{"b", "a"}));
  EXPECT_TRUE(same_voxels(archive.read_structure("a"), b));
  EXPECT_TRUE(same_voxels(archive.read_structure("b"), a));
}

// Random boxes (overlapping, so split across layers) and mask entries; each round reads every
// structure (filling the cache), removes some in random order, adds new ones, and commits in
// place or compacts. Every structure left must equal what was given, before and after reopening.
TEST(ArchiveModel, RandomRemovesAndAddsKeepEveryOtherStructureExact) {
  TempDir dir;
  const std::string path = dir.file("a.mska");
  std::mt19937 rng(1403);
  const auto coordinate = [&](std::int64_t n) {
    return std::uniform_int_distribution<std::int64_t>(0, n - 1)(rng);
  };
  const auto random_box = [&]() {
    Shape3 lo{}, hi{};
    for (std::size_t a = 0; a < 3; ++a) {
      const std::int64_t p = coordinate(kShape[a]), q = coordinate(kShape[a]);
      lo[a] = std::min(p, q);
      hi[a] = std::max(p, q);
    }
    return std::make_pair(lo, hi);
  };
  std::map<std::string, LabelVolume> expected;
  int next = 0;
  const auto add_some = [&](MaskArchive& archive, int count) {
    for (int i = 0; i < count; ++i, ++next) {
      const auto [lo, hi] = random_box();
      const std::string name = "s" + std::to_string(next);
      if (next % 4 == 3) {
        archive.add_mask("m" + std::to_string(next), one_label_mask(name, lo, hi));
      } else {
        archive.add_structure(name, box(kShape, lo, hi), {}, false);
      }
      expected[name] = box(kShape, lo, hi);
    }
  };
  const auto check_all = [&](const MaskArchive& archive) {
    ASSERT_EQ(structure_names(archive).size(), expected.size());
    for (const auto& [name, voxels] : expected) {
      EXPECT_TRUE(same_voxels(archive.read_structure(name), voxels)) << name;
    }
  };
  {
    MaskArchive archive(path, OpenMode::kWrite, kSpace);
    add_some(archive, 12);
  }
  for (int round = 0; round < 6; ++round) {
    MaskArchive archive(path, OpenMode::kAppend);
    check_all(archive);
    std::vector<std::string> names;
    for (const auto& [name, voxels] : expected) names.push_back(name);
    std::shuffle(names.begin(), names.end(), rng);
    for (std::size_t i = 0; i < 4 && i < names.size(); ++i) {
      archive.remove(names[i]);
      expected.erase(names[i]);
      check_all(archive);
    }
    add_some(archive, 3);
    check_all(archive);
    if (round % 3 == 2) {
      archive.compact();
    } else {
      archive.commit();
    }
    check_all(archive);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  check_all(archive);
  archive.verify_data();
}

}  // namespace
}  // namespace medmask::testing
