// Recognised unions (FORMAT.md 10.2, since 1.3): recognised over all structures at commit, so a
// union given before its members becomes a group too; and a recognised union (or duplicate) never
// blocks removing or replacing its members: it keeps its exact voxels. Expected masks are built
// here, independently of the archive.
#include <algorithm>
#include <filesystem>
#include <map>

#include "archive_test_support.hpp"

namespace medmask::testing {
namespace {

LabelVolume union_of(const std::vector<const LabelVolume*>& masks) {
  LabelVolume out(DType::kBool, masks.front()->shape_zyx());
  for (const LabelVolume* mask : masks) {
    for (std::size_t i = 0; i < out.size(); ++i) {
      if (mask->get(i) != 0) out.set(i, 1);
    }
  }
  return out;
}

// 24 ribs: rib n of a side is a slanted bar at its own height; neighbours do not touch.
std::map<std::string, LabelVolume> make_ribs(const Shape3& s) {
  std::map<std::string, LabelVolume> ribs;
  for (const int side : {0, 1}) {
    for (std::int64_t n = 1; n <= 12; ++n) {
      LabelVolume rib(DType::kBool, s);
      const std::int64_t z0 = 2 + 4 * (n - 1), x0 = side == 0 ? 4 : 34;
      for (std::int64_t x = x0; x < x0 + 24 - n; ++x) {
        const std::int64_t z = z0 + (x - x0) / 12;
        for (std::int64_t dz = 0; dz < 2; ++dz) {
          for (std::int64_t y = 10 + n % 3; y < 20 + n % 3; ++y) {
            rib.set(static_cast<std::size_t>(((z + dz) * s[1] + y) * s[2] + x), 1);
          }
        }
      }
      ribs[std::string("rib_") + (side == 0 ? "right_" : "left_") + std::to_string(n)] =
          std::move(rib);
    }
  }
  return ribs;
}

std::map<std::string, std::vector<std::string>> rib_unions() {
  const auto where = [](auto&& keep) {
    std::vector<std::string> names;
    for (const char* side : {"left", "right"}) {
      for (int n = 1; n <= 12; ++n) {
        if (keep(std::string(side), n))
          names.push_back(std::string("rib_") + side + "_" + std::to_string(n));
      }
    }
    return names;
  };
  return {{"left_ribs", where([](const std::string& side, int) { return side == "left"; })},
          {"right_ribs", where([](const std::string& side, int) { return side == "right"; })},
          {"upper_ribs", where([](const std::string&, int n) { return n <= 6; })},
          {"lower_ribs", where([](const std::string&, int n) { return n >= 7; })},
          {"all_ribs", where([](const std::string&, int) { return true; })}};
}

// The file size of `names` packed in that order, in shared layers or a layer per structure.
std::uintmax_t packed_size(const TempDir& dir, const Space& space,
                           const std::map<std::string, LabelVolume>& masks,
                           const std::vector<std::string>& names, const std::string& file,
                           bool own_layers) {
  const std::string path = dir.file(file);
  {
    WriteOptions options;
    options.layer_per_structure = own_layers;
    MaskArchive archive(path, OpenMode::kWrite, space, options);
    for (const std::string& name : names) archive.add_structure(name, masks.at(name));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  // The ribs share one layer, or have one each.
  EXPECT_EQ(archive.entry_names().size(), own_layers ? 24u : 1u) << file;
  for (const auto& [name, members] : rib_unions()) {
    if (!archive.contains(name)) continue;
    const StructureInfo& info = archive.structure(name);
    EXPECT_TRUE(info.is_group()) << file << " " << name;
    std::vector<std::string> found = archive.expand(name), expected = members;
    std::sort(found.begin(), found.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(found, expected) << file << " " << name;
  }
  // Members are canonical: a union of unions lists the unions (strict parts, largest first).
  if (archive.contains("all_ribs")) {
    EXPECT_EQ(archive.structure("all_ribs").members,
              (std::vector<std::string>{"left_ribs", "right_ribs"}))
        << file;
  }
  for (const std::string& name : names) {
    EXPECT_TRUE(archive.read_structure(name).equals(masks.at(name))) << file << " " << name;
  }
  return std::filesystem::file_size(path);
}

// Both layouts: structures in shared layers, and a layer per structure (the default).
class AnyOrder : public ::testing::TestWithParam<bool> {};

TEST_P(AnyOrder, GivesTheSameGroupsAndSize) {
  TempDir dir;
  const bool own = GetParam();
  const Space space = oblique_space({64, 32, 52});
  const auto ribs = make_ribs(space.shape_zyx());
  std::map<std::string, LabelVolume> all = ribs;
  std::vector<std::string> rib_names, union_names;
  for (const auto& [name, mask] : ribs) rib_names.push_back(name);
  for (const auto& [name, members] : rib_unions()) {
    std::vector<const LabelVolume*> masks;
    for (const std::string& m : members) masks.push_back(&ribs.at(m));
    all[name] = union_of(masks);
    union_names.push_back(name);
  }
  // Name order puts all_ribs, left_ribs and lower_ribs before the ribs, right_ribs and
  // upper_ribs after them; "members first" puts every union after the ribs.
  std::vector<std::string> by_name, members_first = rib_names;
  for (const auto& [name, mask] : all) by_name.push_back(name);
  members_first.insert(members_first.end(), union_names.begin(), union_names.end());
  EXPECT_EQ(packed_size(dir, space, all, by_name, "name_order.mska", own),
            packed_size(dir, space, all, members_first, "members_first.mska", own));
  // Reverse order puts upper_ribs and right_ribs before the ribs. The ribs' own order changes the
  // file (their names and values), so the unions are compared by what they add to the ribs alone:
  // the same group definitions, whose names zstd matches against labels listed in another order
  // (a few bytes either way: at most 4 apart in shared layers, 6 with a layer per structure).
  std::vector<std::string> reverse(by_name.rbegin(), by_name.rend());
  std::vector<std::string> ribs_reverse(rib_names.rbegin(), rib_names.rend());
  const auto cost_forward =
      static_cast<std::int64_t>(packed_size(dir, space, all, by_name, "f.mska", own) -
                                packed_size(dir, space, all, rib_names, "fr.mska", own));
  const auto cost_reverse =
      static_cast<std::int64_t>(packed_size(dir, space, all, reverse, "r.mska", own) -
                                packed_size(dir, space, all, ribs_reverse, "rr.mska", own));
  EXPECT_LE(std::abs(cost_forward - cost_reverse), 8) << cost_forward << " vs " << cost_reverse;
}

INSTANTIATE_TEST_SUITE_P(ArchiveUnions, AnyOrder, ::testing::Values(false, true),
                         [](const auto& param) {
                           return param.param ? "LayerPerStructure" : "Shared";
                         });

TEST(ArchiveUnions, DuplicateNeverBlocksReplaceOrRemove) {
  TempDir dir;
  const Space space = oblique_space({12, 10, 8});
  const Shape3 s = space.shape_zyx();
  const LabelVolume colon = box(s, {1, 1, 1}, {4, 5, 6}), other = box(s, {5, 5, 2}, {7, 8, 9});
  const std::string path = dir.file("dup.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_structure("colon", colon);
    archive.add_structure("colon_copy", colon);
    EXPECT_EQ(archive.structure("colon_copy").members, std::vector<std::string>{"colon"});
  }
  {
    MaskArchive archive(path, OpenMode::kAppend);  // the group's kind is read from the file
    archive.replace_structure("colon", other);
    EXPECT_TRUE(archive.read_structure("colon").equals(other));
    EXPECT_TRUE(archive.read_structure("colon_copy").equals(colon));
    EXPECT_FALSE(archive.structure("colon_copy").is_group());
    archive.remove("colon");
    EXPECT_TRUE(archive.read_structure("colon_copy").equals(colon));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_FALSE(archive.contains("colon"));
  EXPECT_TRUE(archive.read_structure("colon_copy").equals(colon));
}

TEST(ArchiveUnions, UnionGivenFirstKeepsItsVoxelsWhenAMemberGoes) {
  TempDir dir;
  const Space space = oblique_space({12, 10, 8});
  const Shape3 s = space.shape_zyx();
  const LabelVolume a = box(s, {0, 0, 0}, {3, 3, 3}), b = box(s, {4, 4, 4}, {7, 7, 7});
  const LabelVolume ab = union_of({&a, &b});
  const std::string path = dir.file("u.mska");
  {
    MaskArchive archive(path, OpenMode::kWrite, space);
    archive.add_structure("ab", ab);  // before its members: voxels until commit
    archive.add_structure("a", a);
    archive.add_structure("b", b);
    EXPECT_FALSE(archive.structure("ab").is_group());
    archive.commit();
    EXPECT_TRUE(archive.structure("ab").is_group());
  }
  {
    MaskArchive archive(path, OpenMode::kAppend);
    EXPECT_TRUE(archive.structure("ab").is_group());
    archive.remove("a");
    EXPECT_TRUE(archive.read_structure("ab").equals(ab));
    // Replacing a recognised group stores the given voxels.
    archive.add_structure("a2", a);
    archive.add_structure("ab_copy", ab);  // the union of a2 and b: a group again
    EXPECT_TRUE(archive.structure("ab_copy").is_group());
    archive.replace_structure("ab_copy", a);
    EXPECT_TRUE(archive.read_structure("ab_copy").equals(a));
  }
  const MaskArchive archive(path, OpenMode::kRead);
  EXPECT_TRUE(archive.read_structure("ab").equals(ab));
  EXPECT_TRUE(archive.read_structure("ab_copy").equals(a));
  EXPECT_EQ(archive.structure("ab").stats.voxels, 2u * 64u);
}

TEST(ArchiveUnions, ReplacingAMemberOfADefinedGroupUpdatesIt) {
  TempDir dir;
  const Space space = oblique_space({12, 10, 8});
  const Shape3 s = space.shape_zyx();
  const LabelVolume a = box(s, {0, 0, 0}, {2, 2, 2}), b = box(s, {4, 4, 4}, {6, 6, 6});
  const LabelVolume a_new = box(s, {0, 0, 0}, {3, 3, 3});
  MaskArchive archive(dir.file("g.mska"), OpenMode::kWrite, space);
  archive.add_structure("a", a);
  archive.add_structure("b", b);
  const std::vector<std::string> members{"a", "b"};
  archive.add_group("ab", members);
  archive.replace_structure("a", a_new);  // a definition follows its members
  EXPECT_TRUE(archive.read_structure("ab").equals(union_of({&a_new, &b})));
  EXPECT_EQ(archive.structure("ab").stats.voxels, 64u + 27u);
  EXPECT_THROW(archive.remove("a"), ArgumentError);  // removing would break the definition
}

}  // namespace
}  // namespace medmask::testing
