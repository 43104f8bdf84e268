// MaskArchive behaviour: round trips, layers, append, atomic commit, errors (docs/FORMAT.md).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <random>
#include <set>
#include <thread>
#include <tuple>

#include "archive_test_support.hpp"
#include "file_size_limit.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"

namespace medmask {
namespace {

using testing::box;
using testing::FileSizeLimit;
using testing::oblique_space;
using testing::read_bytes;
using testing::shared_layers;
using testing::TempDir;

// Voxel counts and bounding boxes by brute force, independent of compute_label_stats.
LabelStats brute_stats(const LabelVolume& volume, std::uint32_t value) {
  LabelStats stats;
  const Shape3 s = volume.shape_zyx();
  std::size_t i = 0;
  for (std::int64_t z = 0; z < s[0]; ++z)
    for (std::int64_t y = 0; y < s[1]; ++y)
      for (std::int64_t x = 0; x < s[2]; ++x, ++i) {
        if (volume.get(i) != value) continue;
        if (stats.voxels++ == 0) {
          stats.bbox_min_zyx = stats.bbox_max_zyx = {z, y, x};
        }
        stats.bbox_min_zyx = {std::min(stats.bbox_min_zyx[0], z),
                              std::min(stats.bbox_min_zyx[1], y),
                              std::min(stats.bbox_min_zyx[2], x)};
        stats.bbox_max_zyx = {std::max(stats.bbox_max_zyx[0], z),
                              std::max(stats.bbox_max_zyx[1], y),
                              std::max(stats.bbox_max_zyx[2], x)};
      }
  return stats;
}

LabelVolume random_volume(DType dtype, const Shape3& shape, std::uint32_t max_value,
                          std::mt19937& rng) {
  LabelVolume volume(dtype, shape);
  std::uniform_int_distribution<std::uint32_t> pick(0, max_value);
  std::bernoulli_distribution background(0.6);
  for (std::size_t i = 0; i < volume.size(); ++i) {
    volume.set(i, background(rng) ? 0 : pick(rng));
  }
  return volume;
}

TEST(MaskArchive, RoundTripsEveryDtype) {
  TempDir dir;
  const std::uint32_t seed = 20240611;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const Space space = oblique_space({7, 5, 3});
  const std::string path = dir.file("dtypes.mska");
  std::map<std::string, SegmentationMask> written;
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    for (const DType dtype : {DType::kBool, DType::kUInt8, DType::kUInt16, DType::kUInt32}) {
      const std::uint32_t max = dtype_max_value(dtype);
      LabelVolume volume = random_volume(dtype, space.shape_zyx(), max, rng);
      volume.set(0, max);  // the largest value of the dtype is always present
      LabelTable labels;
      const std::string prefix(dtype_name(dtype));
      labels.add(Label{prefix + "_max", max, Rgb{255, 0, 7}, "largest value",
                       CodedConcept{"SCT", "78961009", "Spleen"}});
      if (dtype != DType::kBool) labels.add(prefix + "_one", 1);
      if (dtype != DType::kBool)
        labels.add(prefix + "_absent_ünï", max - 1);  // UTF-8, maybe 0 voxels
      SegmentationMask mask(volume.clone(), labels, space);
      archive.add_mask(prefix, mask);
      written.emplace(prefix, mask);
    }
    archive.commit();
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(archive.space(), space);  // doubles survive the JSON exactly
  EXPECT_EQ(archive.entry_names(), (std::vector<std::string>{"bool", "uint8", "uint16", "uint32"}));
  for (const auto& [name, mask] : written) {
    const SegmentationMask loaded = archive.load_mask(name);
    EXPECT_EQ(loaded.volume().dtype(), mask.volume().dtype()) << name;
    EXPECT_TRUE(loaded.volume().equals(mask.volume())) << name;
    EXPECT_EQ(loaded.labels(), mask.labels()) << name;
    for (const Label& label : mask.labels()) {
      const StructureInfo& info = archive.structure(label.name);
      EXPECT_EQ(info.entry, name);
      EXPECT_EQ(info.value, label.value);
      EXPECT_EQ(info.label, label);
      EXPECT_EQ(info.stats, brute_stats(mask.volume(), label.value)) << label.name;
      EXPECT_DOUBLE_EQ(info.volume_mm3, static_cast<double>(info.stats.voxels) * 0.75 * 0.8 * 2.5);
      const LabelVolume binary = archive.read_structure(label.name);
      EXPECT_EQ(binary.dtype(), DType::kBool);
      for (std::size_t i = 0; i < binary.size(); ++i) {
        ASSERT_EQ(binary.get(i), mask.volume().get(i) == label.value ? 1u : 0u) << label.name;
      }
    }
  }
}

TEST(MaskArchive, OneVoxelGridAndEmptyArchive) {
  TempDir dir;
  const Space space = oblique_space({1, 1, 1});
  { MaskArchive archive(dir.file("empty.mska"), OpenMode::kWrite, space); }  // destructor commits
  {
    const MaskArchive archive(dir.file("empty.mska"), OpenMode::kRead);
    EXPECT_TRUE(archive.entry_names().empty());
    EXPECT_TRUE(archive.structures().empty());
    EXPECT_EQ(archive.space(), space);
  }
  {
    MaskArchive archive(dir.file("one.mska"), OpenMode::kWrite, space);
    archive.add_structure("dot", box(space.shape_zyx(), {0, 0, 0}, {0, 0, 0}));
  }
  const MaskArchive archive(dir.file("one.mska"), OpenMode::kRead);
  EXPECT_EQ(archive.read_structure("dot").get(0), 1u);
  EXPECT_EQ(archive.structure("dot").stats.voxels, 1u);
}

TEST(MaskArchive, EmptyStructuresAreKept) {
  TempDir dir;
  const Space space = oblique_space({6, 5, 4});
  const std::string path = dir.file("empty_structures.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space, shared_layers());
    archive.add_structure("nothing", LabelVolume(DType::kUInt8, space.shape_zyx()));
    archive.add_structure("cube", box(space.shape_zyx(), {1, 1, 1}, {2, 2, 2}));
    archive.add_structure("also_nothing", LabelVolume(DType::kBool, space.shape_zyx()));
    archive.commit();
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(archive.entry_names(), std::vector<std::string>{"layer0"});
  for (const std::string name : {"nothing", "also_nothing"}) {
    const StructureInfo& info = archive.structure(name);
    EXPECT_EQ(info.entry, "layer0");
    EXPECT_EQ(info.stats.voxels, 0u);
    EXPECT_EQ(info.volume_mm3, 0.0);
    EXPECT_GT(info.stats.bbox_min_zyx[0], info.stats.bbox_max_zyx[0]);  // empty box
    const LabelVolume binary = archive.read_structure(name);
    EXPECT_EQ(binary.max_value(), 0u);
  }
  EXPECT_EQ(archive.structure("cube").stats.voxels, 8u);
  EXPECT_EQ(archive.structure("cube").stats.bbox_min_zyx, (std::array<std::int64_t, 3>{1, 1, 1}));
  EXPECT_EQ(archive.structure("cube").stats.bbox_max_zyx, (std::array<std::int64_t, 3>{2, 2, 2}));
}

TEST(MaskArchive, OverlappingStructuresReadBackExactly) {
  TempDir dir;
  const std::uint32_t seed = 7;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  const Space space = oblique_space({16, 12, 9});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("overlap.mska");
  std::vector<std::pair<std::string, LabelVolume>> structures;
  for (int n = 0; n < 25; ++n) {
    // Random blobs: a random box with random holes, so layers must really be searched.
    std::uniform_int_distribution<std::int64_t> z(0, shape[0] - 1), y(0, shape[1] - 1),
        x(0, shape[2] - 1);
    Shape3 a{z(rng), y(rng), x(rng)}, b{z(rng), y(rng), x(rng)};
    for (std::size_t k = 0; k < 3; ++k) {
      if (a[k] > b[k]) std::swap(a[k], b[k]);
    }
    LabelVolume blob = box(shape, a, b);
    std::bernoulli_distribution hole(0.2);
    for (std::size_t i = 0; i < blob.size(); ++i) {
      if (hole(rng)) blob.set(i, 0);
    }
    structures.emplace_back("blob" + std::to_string(n), std::move(blob));
  }
  {
    MaskArchive archive(path, OpenMode::kWrite, space, WriteOptions{3});
    for (const auto& [name, blob] : structures) archive.add_structure(name, blob);
    // Readable before commit too.
    EXPECT_TRUE(archive.read_structure("blob3").equals(structures[3].second));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_GE(archive.entry_names().size(), 2u);
  std::vector<std::string> names;
  for (const auto& [name, blob] : structures) {
    EXPECT_TRUE(archive.read_structure(name).equals(blob)) << name;
    EXPECT_EQ(archive.structure(name).stats, brute_stats(blob, 1)) << name;
    names.push_back(name);
  }
  // Insertion order survives although structures are spread over layers.
  std::vector<std::string> listed;
  for (const StructureInfo& info : archive.structures()) listed.push_back(info.name);
  EXPECT_EQ(listed, names);
  // Union of several.
  const std::vector<std::string> some{"blob0", "blob5", "blob11"};
  const LabelVolume united = archive.read_structures(some);
  for (std::size_t i = 0; i < united.size(); ++i) {
    const bool expected =
        structures[0].second.get(i) || structures[5].second.get(i) || structures[11].second.get(i);
    ASSERT_EQ(united.get(i), expected ? 1u : 0u);
  }
}

TEST(MaskArchive, GreedyFirstFitAndRequestedValues) {
  TempDir dir;
  const Space space = oblique_space({8, 8, 2});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("greedy.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space, shared_layers());
    archive.add_structure("a", box(shape, {0, 0, 0}, {0, 3, 3}), Label{"", 7, {}, {}, {}});
    archive.add_structure("b", box(shape, {0, 2, 2}, {0, 5, 5}));  // overlaps a
    archive.add_structure("c", box(shape, {1, 0, 0}, {1, 1, 1}), Label{"", 7, {}, {}, {}});
    archive.add_structure("d", box(shape, {0, 3, 3}, {1, 4, 4}));  // overlaps a and b
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(archive.structure("a").entry, "layer0");
  EXPECT_EQ(archive.structure("a").value, 7u);  // requested value honoured
  EXPECT_EQ(archive.structure("b").entry, "layer1");
  EXPECT_EQ(archive.structure("c").entry, "layer0");  // first fit: back into layer 0
  EXPECT_EQ(archive.structure("c").value, 1u);        // 7 taken there: smallest free value
  EXPECT_EQ(archive.structure("d").entry, "layer2");
  const SegmentationMask layer0 = archive.load_mask("layer0");
  EXPECT_EQ(layer0.labels().find("a")->value, 7u);
  EXPECT_EQ(layer0.volume().get(0), 7u);
}

TEST(MaskArchive, LayerPromotedBeyond255Labels) {
  TempDir dir;
  const Space space = oblique_space({20, 15, 1});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("many.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space, shared_layers());
    for (std::int64_t i = 0; i < 290; ++i) {
      const std::int64_t y = i / 20, x = i % 20;
      archive.add_structure("s" + std::to_string(i), box(shape, {0, y, x}, {0, y, x}));
    }
  }
  const MaskArchive archive(path, OpenMode::kRead);
  ASSERT_EQ(archive.entry_names(), std::vector<std::string>{"layer0"});
  EXPECT_EQ(archive.load_mask("layer0").volume().dtype(), DType::kUInt16);
  for (std::int64_t i = 0; i < 290; i += 17) {
    const LabelVolume binary = archive.read_structure("s" + std::to_string(i));
    EXPECT_EQ(binary.get(static_cast<std::size_t>(i)), 1u);
    EXPECT_EQ(brute_stats(binary, 1).voxels, 1u);
  }
  EXPECT_EQ(archive.structure("s289").value, 290u);
}

TEST(MaskArchive, AppendKeepsOldEntriesBytes) {
  TempDir dir;
  const Space space = oblique_space({9, 7, 5});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("append.mska");
  std::mt19937 rng(11);
  const LabelVolume first = random_volume(DType::kUInt8, shape, 3, rng);
  LabelTable first_labels;
  first_labels.add("x", 1);
  first_labels.add("y", 2);
  first_labels.add("z", 3);
  {
    MaskArchive archive(path, OpenMode::kWrite, space, WriteOptions{19});
    archive.add_mask("first", SegmentationMask(first, first_labels, space));
  }
  const std::vector<std::uint8_t> before = read_bytes(path);
  const LabelVolume second = box(shape, {0, 0, 0}, {2, 2, 2});
  {
    // A different level: the old entry would change size if it were recoded.
    MaskArchive archive(path, OpenMode::kAppend, std::nullopt, WriteOptions{1});
    EXPECT_TRUE(archive.contains("y"));
    LabelTable labels;
    labels.add("w", 1);
    archive.add_mask("second", SegmentationMask(second, labels, space));
    archive.add_structure("v", second);
    EXPECT_THROW(archive.add_structure("x", second), ArgumentError);  // name exists in "first"
  }
  const std::vector<std::uint8_t> after = read_bytes(path);
  // FORMAT.md 5: sections follow the header in index order, so the old data section (bytes 64
  // up to the old index) reappears verbatim at the same place.
  std::uint64_t old_index_offset = 0;
  for (std::size_t i = 0; i < 8; ++i) old_index_offset |= std::uint64_t{before[16 + i]} << (8 * i);
  ASSERT_GT(after.size(), old_index_offset);
  EXPECT_TRUE(std::equal(before.begin() + 64, before.begin() + static_cast<long>(old_index_offset),
                         after.begin() + 64));
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(archive.entry_names(), (std::vector<std::string>{"first", "second", "layer0"}));
  EXPECT_TRUE(archive.load_mask("first").volume().equals(first));
  EXPECT_TRUE(archive.read_structure("w").equals(second));
  EXPECT_TRUE(archive.read_structure("v").equals(second));
  std::vector<std::string> order;
  for (const auto& info : archive.structures()) order.push_back(info.name);
  EXPECT_EQ(order, (std::vector<std::string>{"x", "y", "z", "w", "v"}));
}

TEST(MaskArchive, AppendContinuesPackingExistingLayers) {
  TempDir dir;
  const Space space = oblique_space({6, 6, 2});
  const Shape3 shape = space.shape_zyx();
  const std::string path = dir.file("layers.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space, shared_layers());
    archive.add_structure("left", box(shape, {0, 0, 0}, {1, 5, 2}));
  }
  {
    MaskArchive archive(path, OpenMode::kAppend, std::nullopt, shared_layers());
    archive.add_structure("right", box(shape, {0, 0, 3}, {1, 5, 5}));  // fits layer0
    // Overlaps both, and is not their union (recognised unions are tested elsewhere).
    archive.add_structure("all", box(shape, {0, 0, 0}, {1, 5, 5}), {}, false);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(archive.entry_names(), (std::vector<std::string>{"layer0", "layer1"}));
  EXPECT_EQ(archive.structure("right").entry, "layer0");
  EXPECT_TRUE(archive.read_structure("left").equals(box(shape, {0, 0, 0}, {1, 5, 2})));
  EXPECT_TRUE(archive.read_structure("right").equals(box(shape, {0, 0, 3}, {1, 5, 5})));
  EXPECT_TRUE(archive.read_structure("all").equals(box(shape, {0, 0, 0}, {1, 5, 5})));
}

TEST(MaskArchive, AppendToMissingFileCreatesIt) {
  TempDir dir;
  const Space space = oblique_space({3, 3, 3});
  const std::string path = dir.file("new.mska");
  EXPECT_THROW(MaskArchive(path, OpenMode::kAppend), ArgumentError);  // no space to create it
  {
    MaskArchive archive(path, OpenMode::kAppend, space);
    archive.add_structure("c", box(space.shape_zyx(), {1, 1, 1}, {1, 1, 1}));
  }
  EXPECT_EQ(MaskArchive(path, OpenMode::kRead).structure("c").stats.voxels, 1u);
  // A different space for an existing archive is refused.
  EXPECT_THROW(MaskArchive(path, OpenMode::kAppend, oblique_space({3, 3, 4})), ArgumentError);
}

TEST(MaskArchive, DiscardKeepsTheStoredFile) {
  TempDir dir;
  const Space space = oblique_space({3, 3, 3});
  const std::string path = dir.file("discard.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_structure("kept", box(space.shape_zyx(), {0, 0, 0}, {0, 0, 0}));
  }
  const auto before = read_bytes(path);
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.add_structure("dropped", box(space.shape_zyx(), {2, 2, 2}, {2, 2, 2}));
    archive.discard();
    EXPECT_EQ(archive.mode(), OpenMode::kRead);
    EXPECT_THROW(archive.add_structure("late", box(space.shape_zyx(), {1, 1, 1}, {1, 1, 1})),
                 ArgumentError);
  }  // the destructor must not write "dropped"
  EXPECT_EQ(read_bytes(path), before);
  EXPECT_FALSE(MaskArchive(path, OpenMode::kRead).contains("dropped"));
}

TEST(MaskArchive, FailedCommitLeavesOldFileIntact) {
  TempDir dir;
  const Space space = oblique_space({4, 4, 4});
  const std::string path = dir.file("keep.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_structure("old", box(space.shape_zyx(), {0, 0, 0}, {1, 1, 1}));
  }
  const std::vector<std::uint8_t> before = read_bytes(path);
  {
    MaskArchive archive(path, OpenMode::kAppend);
    archive.add_structure("new", box(space.shape_zyx(), {2, 2, 2}, {3, 3, 3}));
    // compact() rewrites the whole file through a temporary: a file size limit makes the
    // write fail midway (works as root too).
    {
      const FileSizeLimit limit(before.size() / 2);
      EXPECT_THROW(archive.compact(), IoError);
    }
    EXPECT_EQ(read_bytes(path), before);
    EXPECT_TRUE(archive.contains("new"));  // still pending
    if (::geteuid() != 0) {                // permissions do not stop root
      std::filesystem::permissions(
          dir.path(), std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
      EXPECT_THROW(archive.compact(), IoError);
      EXPECT_EQ(read_bytes(path), before);
      std::filesystem::permissions(dir.path(), std::filesystem::perms::owner_all);
    }
    archive.commit();
  }
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);  // no temporary
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.contains("old"));
  EXPECT_TRUE(archive.contains("new"));
}

TEST(MaskArchive, UnknownNamesAreNotFound) {
  TempDir dir;
  const Space space = oblique_space({3, 3, 3});
  const std::string path = dir.file("names.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_structure("known", box(space.shape_zyx(), {0, 0, 0}, {0, 0, 0}));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_THROW(archive.load_mask("nope"), NotFoundError);
  EXPECT_THROW(archive.read_structure("nope"), NotFoundError);
  EXPECT_THROW(archive.structure("nope"), NotFoundError);
  const std::vector<std::string> mixed{"known", "nope"};
  EXPECT_THROW(archive.read_structures(mixed), NotFoundError);
  EXPECT_FALSE(archive.contains("nope"));
  try {
    archive.read_structure("nope");
  } catch (const NotFoundError& error) {
    EXPECT_NE(std::string(error.what()).find("known"), std::string::npos) << error.what();
  }
}

TEST(MaskArchive, CallerMistakesAreArgumentErrors) {
  TempDir dir;
  const Space space = oblique_space({3, 3, 3});
  const std::string path = dir.file("args.mska");
  EXPECT_THROW(MaskArchive(path, OpenMode::kWrite), ArgumentError);  // no space
  EXPECT_THROW(MaskArchive(path, OpenMode::kWrite, space, WriteOptions{99}), ArgumentError);
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    LabelTable labels;
    labels.add("a", 1);
    const SegmentationMask mask(box(space.shape_zyx(), {0, 0, 0}, {0, 0, 0}), labels, space);
    archive.add_mask("m", mask);
    EXPECT_THROW(archive.add_mask("m", SegmentationMask::lazy_init(8, space)), ArgumentError);
    EXPECT_THROW(archive.add_structure("a", mask.volume()), ArgumentError);
    EXPECT_THROW(archive.add_structure("", mask.volume()), ArgumentError);
    const Space other = oblique_space({3, 3, 4});
    EXPECT_THROW(archive.add_structure("b", LabelVolume(DType::kBool, other.shape_zyx())),
                 ArgumentError);
    EXPECT_THROW(archive.add_mask("m3", SegmentationMask::lazy_init(8, other)), ArgumentError);
    EXPECT_EQ(archive.entry_names(), std::vector<std::string>{"m"});  // failures changed nothing
  }
  EXPECT_THROW(MaskArchive(path, OpenMode::kRead, space), ArgumentError);
  MaskArchive reader(path, OpenMode::kRead);
  EXPECT_THROW(reader.add_structure("b", LabelVolume(DType::kBool, space.shape_zyx())),
               ArgumentError);
  EXPECT_THROW(reader.add_mask("n", SegmentationMask::lazy_init(1, space)), ArgumentError);
  reader.commit();  // no-op in kRead
}

// Entries are namespaces: two entries may name a structure alike; the qualified names read
// everywhere, the plain name is ambiguous for users (resolve_name) and load_mask gives back the
// names as added.
TEST(MaskArchive, EntriesAreNamespacesForRepeatedNames) {
  TempDir dir;
  const Space space = oblique_space({4, 3, 2});
  const std::string path = dir.file("ns.mska");
  LabelTable one;
  one.add("liver", 1);
  LabelTable two;
  two.add("liver", 1);
  two.add("spleen", 2);
  const LabelVolume a = box(space.shape_zyx(), {0, 0, 0}, {0, 2, 3});  // bool: liver 1
  const LabelVolume b_liver = box(space.shape_zyx(), {1, 0, 0}, {1, 2, 3});
  LabelVolume b(DType::kUInt8, space.shape_zyx());
  for (std::size_t i = 0; i < b.size(); ++i) b.set(i, b_liver.get(i));
  b.set(0, 2);  // one voxel of spleen
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_mask("a", SegmentationMask(a, one, space));
    archive.add_mask("b", SegmentationMask(b, two, space));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(archive.structure("a/liver").name, "liver");
  EXPECT_EQ(archive.structure("b/liver").name, "b/liver");
  EXPECT_TRUE(archive.contains("a/liver"));
  EXPECT_FALSE(archive.contains("c/liver"));
  EXPECT_TRUE(archive.read_structure("a/liver").equals(a));
  EXPECT_TRUE(archive.read_structure("b/liver").equals(b_liver));
  EXPECT_EQ(archive.resolve_name("spleen"), "spleen");  // one entry only
  EXPECT_EQ(archive.resolve_name("a/liver"), "liver");
  try {
    archive.resolve_name("liver");
    ADD_FAILURE() << "an ambiguous name resolved";
  } catch (const NotFoundError& error) {
    EXPECT_NE(std::string(error.what()).find("'liver' is ambiguous"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("'a/liver', 'b/liver'"), std::string::npos)
        << error.what();
  }
  EXPECT_THROW(archive.resolve_name("kidney"), NotFoundError);
  const SegmentationMask back = archive.load_mask("b");
  EXPECT_EQ(back.labels().find("liver")->value, 1u);
  EXPECT_TRUE(back.volume().equals(b));
}

TEST(MaskArchive, OpeningOtherFilesFailsClearly) {
  TempDir dir;
  EXPECT_THROW(MaskArchive(dir.file("missing.mska"), OpenMode::kRead), IoError);
  EXPECT_THROW(MaskArchive(dir.path().string(), OpenMode::kRead), IoError);
  // A medmask 0.1 file opens read-only (test_medmask_v1.cpp); appending to it is refused.
  try {
    MaskArchive(std::string(MEDMASK_SOURCE_DIR) + "/tests/data/compat/liver.msk",
                OpenMode::kAppend);
    FAIL() << "a medmask 0.1 file opened for appending";
  } catch (const UnsupportedError& error) {
    EXPECT_NE(std::string(error.what()).find("medmask convert"), std::string::npos) << error.what();
  }
  testing::write_bytes(dir.file("text.mska"), {'h', 'e', 'l', 'l', 'o'});
  EXPECT_THROW(MaskArchive(dir.file("text.mska"), OpenMode::kRead), FormatError);
}

TEST(MaskArchive, ConstMethodsFromManyThreads) {
  TempDir dir;
  const Space space = oblique_space({10, 9, 8});
  const std::string path = dir.file("threads.mska");
  std::vector<LabelVolume> blobs;
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    for (std::int64_t i = 0; i < 8; ++i) {
      blobs.push_back(box(space.shape_zyx(), {i, 0, 0}, {7, i, 9 - i}));
      archive.add_structure("s" + std::to_string(i), blobs.back());
    }
  }
  const MaskArchive archive(path, OpenMode::kRead);
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round) {
        const int i = (t + round) % 8;
        if (!archive.read_structure("s" + std::to_string(i))
                 .equals(blobs[static_cast<std::size_t>(i)])) {
          ++failures[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(MaskArchive, MovedArchiveCommitsOnce) {
  TempDir dir;
  const Space space = oblique_space({3, 3, 3});
  const std::string path = dir.file("moved.mska");
  {
    MaskArchive first(path, OpenMode::kWrite, space);
    first.add_structure("a", box(space.shape_zyx(), {0, 0, 0}, {0, 0, 0}));
    MaskArchive second = std::move(first);
    second.add_structure("b", box(space.shape_zyx(), {1, 1, 1}, {1, 1, 1}));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.contains("a"));
  EXPECT_TRUE(archive.contains("b"));
}

// tests/data/golden/tiny.mska was written by make_tiny_mska.py (numpy, zstandard, xxhash) from
// FORMAT.md alone; the expected content below is the script's input, by construction.
TEST(MaskArchive, DecodesGoldenTinyFile) {
  const MaskArchive archive(std::string(MEDMASK_SOURCE_DIR) + "/tests/data/golden/tiny.mska",
                            OpenMode::kRead);
  const Space expected_space({4, 3, 2}, {-10.5, 20.25, 3.0}, {0.5, 0.75, 2.0},
                             Mat3{{{0.0, -1.0, 0.0}, {1.0, 0.0, 0.0}, {0.0, 0.0, 1.0}}});
  EXPECT_EQ(archive.space(), expected_space);
  EXPECT_EQ(archive.entry_names(), (std::vector<std::string>{"organs", "layer0", "flags", "ids"}));
  const Shape3 shape{2, 3, 4};
  const auto volume_of = [&](DType dtype, std::vector<std::uint32_t> values) {
    LabelVolume volume(dtype, shape);
    for (std::size_t i = 0; i < values.size(); ++i) volume.set(i, values[i]);
    return volume;
  };
  const LabelVolume organs = volume_of(DType::kUInt8, {0, 1, 1, 0, 0, 1, 2, 2, 0, 0, 2, 0,  //
                                                       0, 0, 0, 0, 3, 0, 0, 0, 3, 3, 0, 0});
  LabelVolume layer0(DType::kUInt16, shape);
  layer0.set(0, 300);
  layer0.set(23, 300);
  const LabelVolume flags = volume_of(DType::kBool, {1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,  //
                                                     0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  LabelVolume ids(DType::kUInt32, shape);
  ids.set(17, 70000);
  ids.set(18, 70000);
  const std::vector<std::pair<std::string, const LabelVolume*>> entries{
      {"organs", &organs}, {"layer0", &layer0}, {"flags", &flags}, {"ids", &ids}};
  for (const auto& [name, volume] : entries) {
    const SegmentationMask mask = archive.load_mask(name);
    EXPECT_EQ(mask.volume().dtype(), volume->dtype()) << name;
    EXPECT_TRUE(mask.volume().equals(*volume)) << name;
  }
  const LabelTable organ_labels = archive.load_mask("organs").labels();
  ASSERT_EQ(organ_labels.size(), 3u);
  EXPECT_EQ(organ_labels.at("liver"),
            (Label{"liver", 1, Rgb{221, 130, 101}, "", CodedConcept{"SCT", "10200004", "Liver"}}));
  EXPECT_EQ(organ_labels.at("spleen"), (Label{"spleen", 2, std::nullopt, "the spleen", {}}));
  std::vector<std::string> order;
  for (const StructureInfo& info : archive.structures()) order.push_back(info.name);
  EXPECT_EQ(order, (std::vector<std::string>{"liver", "spleen", "tumor", "body", "stomach",
                                             "empty_structure", "big_id"}));
  const std::vector<std::tuple<std::string, const LabelVolume*, std::uint32_t>> structures{
      {"liver", &organs, 1},   {"spleen", &organs, 2},          {"stomach", &organs, 3},
      {"tumor", &layer0, 300}, {"empty_structure", &layer0, 1}, {"body", &flags, 1},
      {"big_id", &ids, 70000}};
  for (const auto& [name, volume, value] : structures) {
    const StructureInfo& info = archive.structure(name);
    EXPECT_EQ(info.value, value) << name;
    EXPECT_EQ(info.stats, brute_stats(*volume, value)) << name;
    EXPECT_DOUBLE_EQ(info.volume_mm3, static_cast<double>(info.stats.voxels) * 0.75) << name;
    const LabelVolume binary = archive.read_structure(name);
    for (std::size_t i = 0; i < binary.size(); ++i) {
      EXPECT_EQ(binary.get(i), volume->get(i) == value ? 1u : 0u) << name << " voxel " << i;
    }
  }
  EXPECT_EQ(archive.structure("liver").stats.voxels, 3u);  // counted by hand from the array
  EXPECT_EQ(archive.structure("empty_structure").stats.voxels, 0u);
}

}  // namespace
}  // namespace medmask
