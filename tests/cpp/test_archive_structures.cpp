// Overlapping structures, groups, recognised unions and queries by name (FORMAT.md 4.6, 10.2):
// a synthetic lung (5 lobes, 18 segments, 3 lesions across lobe borders, whole lung) and the 24
// ribs of the sample case with 5 rib groups. Expected masks are built here, independently of the
// archive, and compared voxel for voxel.
#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include "archive_test_support.hpp"
#include "medmask/nifti.hpp"

namespace medmask::testing {
namespace {

const std::string kS0000 = std::string(MEDMASK_SOURCE_DIR) + "/examples/data/s0000/";

LabelVolume bool_volume(const Shape3& shape_zyx) { return LabelVolume(DType::kBool, shape_zyx); }

// Union of bool masks, computed here (not by the archive).
LabelVolume union_of(const std::vector<const LabelVolume*>& masks) {
  LabelVolume out = bool_volume(masks.front()->shape_zyx());
  for (const LabelVolume* mask : masks) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (mask->get(i) != 0) out.set(i, 1);
    }
  }
  return out;
}

struct Lung {
  Space space = oblique_space({40, 32, 30});
  std::map<std::string, LabelVolume> lobes, segments, lesions;
  LabelVolume whole;
};

// Lobes split the lung (an ellipsoid per side) by height; segments split each lobe along y;
// lesions are balls centred on lobe borders.
Lung make_lung() {
  Lung lung;
  const Shape3 s = lung.space.shape_zyx();
  lung.whole = bool_volume(s);
  const std::vector<std::pair<std::string, int>> lobe_names{{"right_upper", 3},
                                                            {"right_middle", 2},
                                                            {"right_lower", 5},
                                                            {"left_upper", 4},
                                                            {"left_lower", 4}};  // 18 segments
  for (const auto& [name, count] : lobe_names) {
    lung.lobes[name] = bool_volume(s);
    for (int k = 0; k < count; ++k) {
      lung.segments[name + "_s" + std::to_string(k + 1)] = bool_volume(s);
    }
  }
  const auto index = [&](std::int64_t z, std::int64_t y, std::int64_t x) {
    return static_cast<std::size_t>((z * s[1] + y) * s[2] + x);
  };
  for (std::int64_t z = 0; z < s[0]; ++z) {
    for (std::int64_t y = 0; y < s[1]; ++y) {
      for (std::int64_t x = 0; x < s[2]; ++x) {
        const double nz = static_cast<double>(s[0]), ny = static_cast<double>(s[1]),
                     nx = static_cast<double>(s[2]);
        const double fz = static_cast<double>(z), fy = static_cast<double>(y),
                     fx = static_cast<double>(x);
        const bool right = x < s[2] / 2;
        const double cx = right ? nx * 0.25 : nx * 0.75;
        const double dx = (fx - cx) / (nx * 0.22), dy = (fy - ny / 2.0) / (ny * 0.42),
                     dz = (fz - nz / 2.0) / (nz * 0.45);
        if (dx * dx + dy * dy + dz * dz > 1.0) continue;
        lung.whole.set(index(z, y, x), 1);
        std::string lobe;
        if (right) {
          lobe = fz > nz * 0.6 ? "right_upper" : (fz > nz * 0.45 ? "right_middle" : "right_lower");
        } else {
          lobe = fz > nz * 0.5 ? "left_upper" : "left_lower";
        }
        lung.lobes[lobe].set(index(z, y, x), 1);
        const int count = std::find_if(lobe_names.begin(), lobe_names.end(), [&](const auto& p) {
                            return p.first == lobe;
                          })->second;
        const auto segment = std::min<std::int64_t>(count - 1, y * count / s[1]);
        lung.segments[lobe + "_s" + std::to_string(segment + 1)].set(index(z, y, x), 1);
      }
    }
  }
  const std::vector<std::array<std::int64_t, 4>> balls{
      {s[0] * 6 / 10, s[1] / 2, s[2] / 4, 3},    // right upper / middle
      {s[0] * 45 / 100, s[1] / 3, s[2] / 4, 2},  // right middle / lower
      {s[0] / 2, s[1] / 2, 3 * s[2] / 4, 3}};    // left upper / lower
  for (std::size_t b = 0; b < balls.size(); ++b) {
    LabelVolume lesion = bool_volume(s);
    const auto [cz, cy, cx, r] = balls[b];
    for (std::int64_t z = cz - r; z <= cz + r; ++z) {
      for (std::int64_t y = cy - r; y <= cy + r; ++y) {
        for (std::int64_t x = cx - r; x <= cx + r; ++x) {
          if ((z - cz) * (z - cz) + (y - cy) * (y - cy) + (x - cx) * (x - cx) <= r * r) {
            lesion.set(index(z, y, x), 1);
          }
        }
      }
    }
    lung.lesions["lesion_" + std::to_string(b + 1)] = std::move(lesion);
  }
  return lung;
}

// Both layouts: structures packed into shared layers, and a layer per structure (the default),
// where the union's members are found without a layer that holds just the lobes.
class SyntheticLung : public ::testing::TestWithParam<bool> {};

TEST_P(SyntheticLung, EveryStructureAndGroupExact) {
  TempDir dir;
  const Lung lung = make_lung();
  const std::string path = dir.file("lung.mska");
  const bool own_layers = GetParam();
  WriteOptions options;
  options.layer_per_structure = own_layers;
  {
    MaskArchive archive(path, OpenMode::kWrite, lung.space, options);
    for (const auto& [name, mask] : lung.lobes) archive.add_structure(name, mask);
    for (const auto& [name, mask] : lung.segments) archive.add_structure(name, mask);
    for (const auto& [name, mask] : lung.lesions) archive.add_structure(name, mask);
    archive.add_structure("lung", lung.whole);  // the union of the lobes: stored as a group
    std::vector<std::string> left{"left_upper", "left_lower"};
    archive.add_group("left_lung", left);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_EQ(archive.structures().size(), 5u + 18u + 3u + 2u);
  for (const auto* set : {&lung.lobes, &lung.segments, &lung.lesions}) {
    for (const auto& [name, mask] : *set) {
      EXPECT_TRUE(archive.read_structure(name).equals(mask)) << name;
      EXPECT_EQ(archive.structure(name).stats.voxels, compute_label_stats(mask)[1].voxels) << name;
    }
  }
  const StructureInfo& whole = archive.structure("lung");
  ASSERT_TRUE(whole.is_group());
  std::vector<std::string> members = whole.members;
  std::sort(members.begin(), members.end());
  EXPECT_EQ(members, (std::vector<std::string>{"left_lower", "left_upper", "right_lower",
                                               "right_middle", "right_upper"}));
  EXPECT_TRUE(archive.read_structure("lung").equals(lung.whole));
  EXPECT_EQ(whole.stats.voxels, compute_label_stats(lung.whole)[1].voxels);
  EXPECT_TRUE(archive.read_structure("left_lung")
                  .equals(union_of({&lung.lobes.at("left_upper"), &lung.lobes.at("left_lower")})));
  // Each lobe is the union of its segments: a group too (recognised at commit, since 1.3), so
  // segments share a layer and lesions take another (or 18 + 3 layers of their own).
  for (const auto& [name, mask] : lung.lobes) EXPECT_TRUE(archive.structure(name).is_group());
  EXPECT_EQ(archive.entry_names().size(), own_layers ? 21u : 2u);

  // Everything at once (one pass per decoded slab), a group beside its members and a name twice.
  std::vector<std::string> names{"lung", "left_lung"};
  std::vector<const LabelVolume*> expected{&lung.whole, nullptr};
  const LabelVolume left_lung =
      union_of({&lung.lobes.at("left_upper"), &lung.lobes.at("left_lower")});
  expected[1] = &left_lung;
  for (const auto* set : {&lung.lobes, &lung.segments, &lung.lesions}) {
    for (const auto& [name, mask] : *set) {
      names.push_back(name);
      expected.push_back(&mask);
    }
  }
  names.push_back("lesion_2");
  expected.push_back(&lung.lesions.at("lesion_2"));
  const std::vector<LabelVolume> each = archive.read_each(names);
  ASSERT_EQ(each.size(), names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_TRUE(each[i].equals(*expected[i])) << names[i];
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, SyntheticLung, ::testing::Values(false, true),
                         [](const auto& param) {
                           return param.param ? "LayerPerStructure" : "Shared";
                         });

TEST(ArchiveStructures, QueriesByVoxelAndOverlap) {
  TempDir dir;
  const Lung lung = make_lung();
  const std::string path = dir.file("lung.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, lung.space);
    for (const auto& [name, mask] : lung.lobes) archive.add_structure(name, mask);
    for (const auto& [name, mask] : lung.lesions) archive.add_structure(name, mask);
    archive.add_structure("lung", lung.whole);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  const Shape3 s = lung.space.shape_zyx();
  for (std::int64_t z = 0; z < s[0]; z += 3) {
    for (std::int64_t y = 0; y < s[1]; y += 2) {
      for (std::int64_t x = 0; x < s[2]; ++x) {
        const auto i = static_cast<std::size_t>((z * s[1] + y) * s[2] + x);
        std::vector<std::string> expected;
        for (const auto* set : {&lung.lobes, &lung.lesions}) {
          for (const auto& [name, mask] : *set) {
            if (mask.get(i) != 0) expected.push_back(name);
          }
        }
        if (lung.whole.get(i) != 0) expected.push_back("lung");
        std::vector<std::string> found = archive.labels_at(z, y, x);
        std::sort(found.begin(), found.end());
        std::sort(expected.begin(), expected.end());
        ASSERT_EQ(found, expected) << z << " " << y << " " << x;
      }
    }
  }
  EXPECT_THROW(archive.labels_at(s[0], 0, 0), ArgumentError);
  // Lesion 1 lies across the right upper and middle lobes.
  std::map<std::string, std::uint64_t> expected;
  const LabelVolume& lesion = lung.lesions.at("lesion_1");
  for (const auto& [name, lobe] : lung.lobes) {
    std::uint64_t shared = 0;
    for (std::size_t i = 0; i < lesion.size(); ++i) shared += lesion.get(i) && lobe.get(i);
    if (shared > 0) expected[name] = shared;
  }
  ASSERT_GE(expected.size(), 2u);
  std::map<std::string, std::uint64_t> found;
  for (const Overlap& overlap : archive.overlapping("lesion_1"))
    found[overlap.name] = overlap.voxels;
  EXPECT_EQ(found, expected);
}

TEST(ArchiveStructures, ZRangeReadsMatchTheWholeMask) {
  TempDir dir;
  const Lung lung = make_lung();
  const std::string path = dir.file("z.mska");
  WriteOptions options;
  options.chunk_depth = 7;
  {
    MaskArchive archive(path, OpenMode::kWrite, lung.space, options);
    for (const auto& [name, mask] : lung.lobes) archive.add_structure(name, mask);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  const std::vector<std::string> names{"right_middle", "left_upper"};
  const LabelVolume all = archive.read_structures(names);
  const Shape3 s = lung.space.shape_zyx();
  for (const ZRange range : {ZRange{0, s[0]}, ZRange{5, 9}, ZRange{13, 14}, ZRange{7, 21}}) {
    const LabelVolume part = archive.read_structures(names, range);
    ASSERT_EQ(part.shape_zyx(), (Shape3{range.end - range.begin, s[1], s[2]}));
    const std::size_t slice = static_cast<std::size_t>(s[1] * s[2]);
    for (std::size_t i = 0; i < part.size(); ++i) {
      ASSERT_EQ(part.get(i), all.get(static_cast<std::size_t>(range.begin) * slice + i));
    }
  }
  EXPECT_THROW(archive.read_structures(names, ZRange{-1, 3}), ArgumentError);
  EXPECT_THROW(archive.read_structures(names, ZRange{3, s[0] + 1}), ArgumentError);
  const auto each = archive.read_each(names);
  ASSERT_EQ(each.size(), 2u);
  EXPECT_TRUE(each[0].equals(lung.lobes.at("right_middle")));
  EXPECT_TRUE(each[1].equals(lung.lobes.at("left_upper")));
}

TEST(ArchiveStructures, SmallOverlapSplitsOnlyTheSharedVoxels) {
  TempDir dir;
  const Space space = oblique_space({40, 20, 10});
  const Shape3 s = space.shape_zyx();
  const LabelVolume big = box(s, {0, 0, 0}, {9, 19, 9});
  // Shares the plane x = 9 (200 of its 6,200 voxels, under the 5 % split threshold).
  const LabelVolume neighbour = box(s, {0, 0, 9}, {9, 19, 39});
  const std::string path = dir.file("split.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space, testing::shared_layers());
    archive.add_structure("big", big);
    archive.add_structure("neighbour", neighbour);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  const StructureInfo& info = archive.structure("neighbour");
  ASSERT_EQ(info.parts.size(), 2u);
  EXPECT_EQ(info.parts[0].entry, "layer0");
  EXPECT_EQ(info.parts[1].entry, "layer1");
  EXPECT_EQ(info.parts[1].stats.voxels, 10u * 20u);
  EXPECT_EQ(info.stats.voxels, 10u * 20u * 31u);
  EXPECT_TRUE(archive.read_structure("neighbour").equals(neighbour));
  EXPECT_TRUE(archive.read_structure("big").equals(big));
  const auto overlaps = archive.overlapping("big");
  ASSERT_EQ(overlaps.size(), 1u);
  EXPECT_EQ(overlaps[0].voxels, 200u);
  // The header announces the must-understand feature (bit 0).
  EXPECT_EQ(read_bytes(path)[12] & 1, 1);
}

TEST(ArchiveStructures, GroupErrorsNameTheProblem) {
  TempDir dir;
  const Space space = oblique_space({6, 6, 6});
  const Shape3 s = space.shape_zyx();
  MaskArchive archive(dir.file("g.mska"), OpenMode::kWrite, space);
  archive.add_structure("a", box(s, {0, 0, 0}, {1, 1, 1}));
  archive.add_structure("b", box(s, {3, 3, 3}, {4, 4, 4}));
  const std::vector<std::string> ab{"a", "b"}, unknown{"a", "zz"}, none{};
  archive.add_group("ab", ab);
  const std::vector<std::string> nested{"ab"};
  archive.add_group("ab2", nested);
  const LabelVolume a = box(s, {0, 0, 0}, {1, 1, 1}), b = box(s, {3, 3, 3}, {4, 4, 4});
  EXPECT_TRUE(archive.read_structure("ab2").equals(union_of({&a, &b})));
  EXPECT_EQ(archive.expand("ab2"), ab);
  EXPECT_EQ(archive.structure("ab2").stats.voxels, 16u);
  try {
    archive.add_group("bad", unknown);
    FAIL() << "unknown member accepted";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("'zz'"), std::string::npos) << error.what();
  }
  EXPECT_THROW(archive.add_group("empty", none), ArgumentError);
  EXPECT_THROW(archive.add_group("a", ab), ArgumentError);  // name taken by a structure
  EXPECT_THROW(archive.add_structure("ab", box(s, {0, 0, 0}, {0, 0, 0})), ArgumentError);
  try {
    archive.remove("a");
    FAIL() << "removed a group member";
  } catch (const ArgumentError& error) {
    EXPECT_NE(std::string(error.what()).find("'ab'"), std::string::npos) << error.what();
  }
}

// A synthetic rib cage (the sample case covers the pelvis: 23 of its 24 rib masks are empty):
// rib n of each side is a tube along a half-ellipse at its own height.
std::map<std::string, LabelVolume> make_ribs(const Space& space) {
  const Shape3 s = space.shape_zyx();
  std::map<std::string, LabelVolume> ribs;
  for (const int side : {-1, 1}) {
    for (int n = 1; n <= 12; ++n) {
      LabelVolume rib = bool_volume(s);
      const double z0 = 6.0 + 5.0 * (n - 1), a = 30.0 - 0.8 * n, b = 20.0;
      for (int step = 0; step <= 400; ++step) {
        const double t = -1.4 + 2.8 * step / 400.0;
        const double cx = 48.0 + side * (4.0 + a * std::cos(t)), cy = 32.0 + b * std::sin(t),
                     cz = z0 + 3.0 * std::cos(t);
        for (std::int64_t z = std::int64_t(cz) - 2; z <= std::int64_t(cz) + 2; ++z) {
          for (std::int64_t y = std::int64_t(cy) - 2; y <= std::int64_t(cy) + 2; ++y) {
            for (std::int64_t x = std::int64_t(cx) - 2; x <= std::int64_t(cx) + 2; ++x) {
              const double dz = double(z) - cz, dy = double(y) - cy, dx = double(x) - cx;
              if (z < 0 || y < 0 || x < 0 || z >= s[0] || y >= s[1] || x >= s[2]) continue;
              if (dx * dx + dy * dy + dz * dz <= 2.2) {
                rib.set(static_cast<std::size_t>((z * s[1] + y) * s[2] + x), 1);
              }
            }
          }
        }
      }
      ribs[std::string("rib_") + (side < 0 ? "right_" : "left_") + std::to_string(n)] =
          std::move(rib);
    }
  }
  return ribs;
}

// Groups as explicit lists of rib numbers (matching "_1" would also catch ribs 10-12).
std::map<std::string, std::vector<std::string>> rib_groups() {
  const auto ribs_where = [](auto&& keep) {
    std::vector<std::string> names;
    for (const char* side : {"left", "right"}) {
      for (int n = 1; n <= 12; ++n) {
        if (keep(std::string(side), n)) {
          names.push_back(std::string("rib_") + side + "_" + std::to_string(n));
        }
      }
    }
    return names;
  };
  return {{"ribs_left", ribs_where([](const std::string& side, int) { return side == "left"; })},
          {"ribs_right", ribs_where([](const std::string& side, int) { return side == "right"; })},
          {"ribs_upper", ribs_where([](const std::string&, int n) { return n <= 6; })},
          {"ribs_lower", ribs_where([](const std::string&, int n) { return n >= 7; })},
          {"ribs_all", ribs_where([](const std::string&, int) { return true; })}};
}

TEST(ArchiveStructures, RibUnionsGivenAsVoxelsBecomeGroups) {
  TempDir dir;
  const Space space = oblique_space({96, 64, 70});
  const auto ribs = make_ribs(space);
  const auto groups = rib_groups();
  std::map<std::string, LabelVolume> unions;
  for (const auto& [group, members] : groups) {
    std::vector<const LabelVolume*> masks;
    for (const std::string& m : members) masks.push_back(&ribs.at(m));
    unions[group] = union_of(masks);
  }
  const std::string only_ribs = dir.file("ribs.mska"), with_unions = dir.file("unions.mska");
  for (const std::string& path : {only_ribs, with_unions}) {
    MaskArchive archive(path, OpenMode::kWrite, space);
    for (const auto& [name, mask] : ribs) archive.add_structure(name, mask);
    if (path == with_unions) {
      for (const auto& [name, mask] : unions) archive.add_structure(name, mask);  // plain voxels
    }
  }
  const MaskArchive archive(with_unions, OpenMode::kRead);
  for (const auto& [name, mask] : ribs) EXPECT_TRUE(archive.read_structure(name).equals(mask));
  for (const auto& [group, members] : groups) {
    const StructureInfo& info = archive.structure(group);
    EXPECT_TRUE(info.is_group()) << group;
    std::vector<std::string> found = archive.expand(group), expected = members;
    std::sort(found.begin(), found.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(found, expected) << group;
    EXPECT_TRUE(archive.read_structure(group).equals(unions.at(group))) << group;
  }
  const auto size = [](const std::string& p) { return std::filesystem::file_size(p); };
  EXPECT_LE(static_cast<double>(size(with_unions)), 1.1 * static_cast<double>(size(only_ribs)));
}

TEST(ArchiveStructures, SampleRibsWithExplicitGroups) {
  TempDir dir;
  const std::string path = dir.file("s0000_ribs.mska");
  std::map<std::string, LabelVolume> ribs;
  {
    std::optional<MaskArchive> archive;
    for (const auto& [group, members] : rib_groups()) {
      for (const std::string& name : members) {
        if (ribs.count(name) != 0) continue;
        NiftiImage image = read_nifti(kS0000 + name + ".nii.gz");
        if (!archive) archive.emplace(path, OpenMode::kWrite, image.space);
        archive->add_structure(name, image.volume);
        ribs[name] = std::move(image.volume);
      }
    }
    for (const auto& [group, members] : rib_groups()) archive->add_group(group, members);
  }
  const MaskArchive archive(path, OpenMode::kRead);
  for (const auto& [name, mask] : ribs) EXPECT_TRUE(archive.read_structure(name).equals(mask));
  for (const auto& [group, members] : rib_groups()) {
    EXPECT_EQ(archive.structure(group).members, members);  // kept as given, empty ribs included
    std::vector<const LabelVolume*> masks;
    for (const std::string& m : members) masks.push_back(&ribs.at(m));
    EXPECT_TRUE(archive.read_structure(group).equals(union_of(masks))) << group;
  }
}

}  // namespace
}  // namespace medmask::testing
