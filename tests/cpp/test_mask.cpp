#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "medmask/error.hpp"
#include "medmask/mask.hpp"

using namespace medmask;

namespace {

Space small_space() {
  return Space({5, 4, 3}, {0, 0, 0}, {1, 1, 1}, {{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}});
}

// Flat C-order index of (z, y, x) in a 3 x 4 x 5 (z, y, x) volume.
std::size_t at(int z, int y, int x) { return static_cast<std::size_t>((z * 4 + y) * 5 + x); }

LabelVolume box(int z0, int z1, int y0, int y1, int x0, int x1) {
  LabelVolume v(DType::kBool, {3, 4, 5});
  for (int z = z0; z <= z1; ++z)
    for (int y = y0; y <= y1; ++y)
      for (int x = x0; x <= x1; ++x) v.set(at(z, y, x), 1);
  return v;
}

}  // namespace

TEST(LabelVolume, OwnedIsZeroFilledAndCloneIsDeep) {
  LabelVolume v(DType::kUInt16, {2, 3, 4});
  EXPECT_EQ(v.size(), 24u);
  EXPECT_EQ(v.byte_size(), 48u);
  EXPECT_EQ(v.max_value(), 0u);
  LabelVolume copy = v.clone();
  v.set(7, 65535);
  EXPECT_EQ(copy.get(7), 0u);
  EXPECT_EQ(v.get(7), 65535u);
  EXPECT_FALSE(copy.equals(v));
}

TEST(LabelVolume, BorrowedSharesMemory) {
  auto storage = std::make_shared<std::vector<std::uint32_t>>(8, 0u);
  LabelVolume v(DType::kUInt32, {2, 2, 2}, storage->data(), storage);
  v.set(3, 4000000000u);
  EXPECT_EQ((*storage)[3], 4000000000u);
  EXPECT_THROW(v.converted(DType::kUInt16), ArgumentError);
  LabelVolume small(DType::kUInt8, {2, 2, 2});
  small.set(3, 200);
  EXPECT_TRUE(small.converted(DType::kUInt32).equals(small));
}

TEST(LabelVolume, ReversedAxesTransposesEveryDtype) {
  for (const DType dtype : {DType::kBool, DType::kUInt8, DType::kUInt16, DType::kUInt32}) {
    LabelVolume v(dtype, {3, 4, 5});
    std::uint32_t next = 0;
    for (std::size_t i = 0; i < v.size(); i += 3) {
      next = dtype == DType::kBool ? 1 : next % 200 + 1;
      v.set(i, dtype == DType::kUInt32 ? next * 1000003u : next);
    }
    const LabelVolume r = v.reversed_axes();
    ASSERT_EQ(r.shape_zyx(), (Shape3{5, 4, 3}));
    EXPECT_EQ(r.dtype(), dtype);
    for (std::size_t z = 0; z < 3; ++z)
      for (std::size_t y = 0; y < 4; ++y)
        for (std::size_t x = 0; x < 5; ++x)
          EXPECT_EQ(r.get((x * 4 + y) * 3 + z), v.get((z * 4 + y) * 5 + x));
    EXPECT_TRUE(r.reversed_axes().equals(v));
  }
}

TEST(LabelVolume, RejectsNegativeExtent) {
  EXPECT_THROW(LabelVolume(DType::kUInt8, {2, -1, 2}), ArgumentError);
}

TEST(DTypes, SmallestTypeForValues) {
  EXPECT_EQ(dtype_for_max_value(255), DType::kUInt8);
  EXPECT_EQ(dtype_for_max_value(256), DType::kUInt16);
  EXPECT_EQ(dtype_for_max_value(70000), DType::kUInt32);
  EXPECT_EQ(dtype_name(DType::kUInt16), "uint16");
}

// Messages of the library, the CLI and Python spell shapes one way, as numpy prints them.
TEST(ShapeText, SpellsShapesAsNumpy) {
  EXPECT_EQ(shape_text(Shape3{3, 4, 5}), "(3, 4, 5)");
  EXPECT_EQ(shape_text(std::vector<std::int64_t>{7}), "(7,)");
  EXPECT_EQ(shape_text(std::vector<std::int64_t>{}), "()");
}

TEST(SegmentationMask, LazyInitAddLabelAndQueries) {
  auto mask = SegmentationMask::lazy_init(8, small_space());
  mask.add_label(box(0, 0, 0, 1, 0, 1), 1, "a");  // 4 voxels
  mask.add_label(box(2, 2, 3, 3, 4, 4), 7, "b");  // 1 voxel
  EXPECT_EQ(mask.labels().at("b").value, 7u);
  const auto stats = mask.label_stats();
  ASSERT_EQ(stats.size(), 2u);
  EXPECT_EQ(stats.at(1).voxels, 4u);
  EXPECT_EQ(stats.at(1).bbox_min_zyx, (std::array<std::int64_t, 3>{0, 0, 0}));
  EXPECT_EQ(stats.at(1).bbox_max_zyx, (std::array<std::int64_t, 3>{0, 1, 1}));
  EXPECT_EQ(stats.at(7).bbox_min_zyx, (std::array<std::int64_t, 3>{2, 3, 4}));

  const std::vector<std::string> names{"a", "b"};
  const LabelVolume both = mask.binary_mask_by_names(names);
  EXPECT_EQ(both.dtype(), DType::kBool);
  EXPECT_EQ(both.get(at(0, 1, 1)), 1u);
  EXPECT_EQ(both.get(at(2, 3, 4)), 1u);
  EXPECT_EQ(both.get(at(1, 1, 1)), 0u);
  const std::vector<std::uint32_t> values{7};
  EXPECT_EQ(compute_label_stats(mask.binary_mask_by_values(values)).at(1).voxels, 1u);
}

TEST(SegmentationMask, OverwriteLetsTheLaterLabelWinAndReportsWhatItPaintedOver) {
  auto mask = SegmentationMask::lazy_init(8, small_space());
  mask.add_label(box(0, 1, 0, 1, 0, 1), 1, "lobe");  // 8 voxels
  mask.add_label(box(2, 2, 3, 3, 4, 4), 5, "dot");   // 1 voxel
  const std::vector<LabelOverlap> over =
      mask.add_label(box(1, 2, 1, 3, 1, 4), 2, "lesion", OverlapPolicy::kOverwrite);
  // (1,1,1) of lobe and (2,3,4) of dot; in value order.
  const std::vector<LabelOverlap> expected{{1, "lobe", 1}, {5, "dot", 1}};
  EXPECT_EQ(over, expected);
  EXPECT_EQ(mask.label_stats().at(1).voxels, 7u);
  EXPECT_EQ(mask.label_stats().count(5), 0u);
  EXPECT_EQ(mask.label_stats().at(2).voxels, 24u);
  EXPECT_EQ(mask.labels().size(), 3u);  // dot keeps its name, now with no voxels
  EXPECT_TRUE(mask.add_label(box(0, 0, 3, 3, 0, 0), 9, "free", OverlapPolicy::kOverwrite).empty());
}

// An (x, y, z) binary (a Fortran-order array's memory) paints the same voxels as its (z, y, x)
// transpose, overlap report included; a shape that is not the reverse is refused.
TEST(SegmentationMask, AddLabelOfAnXyzBinaryEqualsItsTranspose) {
  const Space space = small_space();
  const Shape3 zyx = space.shape_zyx();
  auto expected = SegmentationMask::lazy_init(8, space);
  auto reversed = SegmentationMask::lazy_init(8, space);
  std::uint32_t value = 0;
  for (const LabelVolume& binary :
       {box(0, 1, 0, 1, 0, 1), box(1, 2, 1, 3, 1, 4), box(2, 2, 0, 3, 4, 4)}) {
    ++value;
    LabelVolume xyz(DType::kBool, Shape3{zyx[2], zyx[1], zyx[0]});
    for (std::int64_t z = 0; z < zyx[0]; ++z) {
      for (std::int64_t y = 0; y < zyx[1]; ++y) {
        for (std::int64_t x = 0; x < zyx[2]; ++x) {
          xyz.set(static_cast<std::size_t>((x * zyx[1] + y) * zyx[0] + z),
                  binary.get(static_cast<std::size_t>((z * zyx[1] + y) * zyx[2] + x)));
        }
      }
    }
    const std::string name = "s" + std::to_string(value);
    const auto over_zyx = expected.add_label(binary, value, name, OverlapPolicy::kOverwrite);
    const auto over_xyz =
        reversed.add_label(xyz, value, name, OverlapPolicy::kOverwrite, BinaryAxes::kXyz);
    EXPECT_EQ(over_xyz, over_zyx) << name;
  }
  EXPECT_FALSE(expected.label_stats().empty());
  EXPECT_TRUE(reversed.volume().equals(expected.volume()));
  EXPECT_THROW(reversed.add_label(box(0, 0, 0, 0, 0, 0), 9, "wrong", OverlapPolicy::kOverwrite,
                                  BinaryAxes::kXyz),
               ArgumentError);
}

TEST(SegmentationMask, BinaryMaskInABoxEqualsTheFullScan) {
  auto mask = SegmentationMask::lazy_init(16, small_space());
  mask.add_label(box(0, 1, 1, 2, 1, 3), 7, "a");
  mask.add_label(box(2, 2, 3, 3, 4, 4), 300, "b");
  const auto stats = mask.label_stats();
  for (const std::vector<std::uint32_t>& values :
       {std::vector<std::uint32_t>{7}, {300}, {7, 300}}) {
    std::array<std::int64_t, 3> lo{2, 3, 4};
    std::array<std::int64_t, 3> hi{0, 0, 0};
    for (const std::uint32_t v : values) {
      for (std::size_t axis = 0; axis < 3; ++axis) {
        lo[axis] = std::min(lo[axis], stats.at(v).bbox_min_zyx[axis]);
        hi[axis] = std::max(hi[axis], stats.at(v).bbox_max_zyx[axis]);
      }
    }
    const LabelVolume boxed = mask.binary_mask_by_values(values, lo, hi);
    const LabelVolume full = mask.binary_mask_by_values(values);
    for (std::size_t i = 0; i < full.size(); ++i) EXPECT_EQ(boxed.get(i), full.get(i)) << i;
  }
  const std::vector<std::uint32_t> seven{7};
  EXPECT_THROW(mask.binary_mask_by_values(seven, {0, 0, 0}, {3, 0, 0}), ArgumentError);
}

TEST(SegmentationMask, OverlapIsAnErrorNamingBothAndLeavesMaskUnchanged) {
  auto mask = SegmentationMask::lazy_init(8, small_space());
  mask.add_label(box(0, 1, 0, 1, 0, 1), 1, "lobe");  // 8 voxels
  try {
    mask.add_label(box(1, 2, 1, 2, 1, 2), 2, "lesion");  // shares (1,1,1) only
    FAIL() << "expected ArgumentError";
  } catch (const ArgumentError& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find("lesion"), std::string::npos) << message;
    EXPECT_NE(message.find("lobe"), std::string::npos) << message;
    EXPECT_NE(message.find(" 1 voxels"), std::string::npos) << message;
  }
  EXPECT_EQ(mask.labels().size(), 1u);
  EXPECT_EQ(mask.label_stats().at(1).voxels, 8u);
  EXPECT_EQ(mask.label_stats().count(2), 0u);
}

TEST(SegmentationMask, RejectsWrongShapeValueAndBitDepth) {
  auto mask = SegmentationMask::lazy_init(8, small_space());
  EXPECT_THROW(mask.add_label(LabelVolume(DType::kBool, {3, 4, 6}), 1, "x"), ArgumentError);
  EXPECT_THROW(mask.add_label(box(0, 0, 0, 0, 0, 0), 256, "x"), ArgumentError);
  EXPECT_THROW(SegmentationMask::lazy_init(12, small_space()), ArgumentError);
  EXPECT_THROW(mask.binary_mask_by_names(std::vector<std::string>{"nope"}), NotFoundError);
  LabelTable table;
  table.add("big", 300);
  EXPECT_THROW(SegmentationMask(LabelVolume(DType::kUInt8, {3, 4, 5}), table, small_space()),
               ArgumentError);
}
