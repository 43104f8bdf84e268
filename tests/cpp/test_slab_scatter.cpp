// scatter_slab (container/slab_scatter.hpp): masks set from a slab in one pass, checked against a
// voxel-by-voxel loop written here, for small values (dense lookup), values beyond 2^16 (sorted
// lookup), two masks asking for one value, a box and a z-range inside the slab.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "container/slab_scatter.hpp"

namespace medmask::container {
namespace {

void check_scatter(DType dtype, const std::vector<std::uint32_t>& values) {
  const Shape3 shape{6, 9, 23};  // the slab holds grid slices 10..15
  const std::int64_t slab_z0 = 10;
  LabelVolume slab(dtype, shape);
  std::mt19937 rng(7);
  for (std::size_t i = 0; i < slab.size(); ++i) {
    // Runs of a few voxels, as label maps have, with background in between.
    slab.set(i, rng() % 3 == 0 ? 0u : values[(i / 3) % values.size()]);
  }
  // Masks cover grid slices 11..15; the scan covers slices 12..14 and the box below.
  const Shape3 mask_shape{5, shape[1], shape[2]};
  const std::int64_t mask_z0 = 11;
  LabelStats box;
  box.voxels = 1;
  box.bbox_min_zyx = {12, 2, 3};
  box.bbox_max_zyx = {13, 7, 20};
  std::vector<LabelVolume> masks;
  for (std::size_t i = 0; i < values.size() + 1; ++i) masks.emplace_back(DType::kBool, mask_shape);
  std::vector<ValueTarget> targets;
  for (std::size_t i = 0; i < values.size(); ++i) {
    targets.push_back({values[i], masks[i].data_as<std::uint8_t>(), mask_z0});
  }
  targets.push_back({values[0], masks.back().data_as<std::uint8_t>(), mask_z0});
  scatter_slab(slab, slab_z0, 12, 15, box, targets);

  for (std::size_t t = 0; t < targets.size(); ++t) {
    for (std::int64_t z = mask_z0; z < mask_z0 + mask_shape[0]; ++z) {
      for (std::int64_t y = 0; y < shape[1]; ++y) {
        for (std::int64_t x = 0; x < shape[2]; ++x) {
          const bool inside = z >= 12 && z < 15 && y >= 2 && y <= 7 && x >= 3 && x <= 20;
          const std::size_t in =
              static_cast<std::size_t>(((z - slab_z0) * shape[1] + y) * shape[2] + x);
          const std::size_t out =
              static_cast<std::size_t>(((z - mask_z0) * shape[1] + y) * shape[2] + x);
          const std::uint32_t want = inside && slab.get(in) == targets[t].value ? 1u : 0u;
          ASSERT_EQ(masks[t].get(out), want)
              << "target " << t << " z " << z << " y " << y << " x " << x;
        }
      }
    }
  }
}

TEST(SlabScatter, SmallValuesUint8) { check_scatter(DType::kUInt8, {1, 2, 200, 255}); }

TEST(SlabScatter, WideValuesUint16) { check_scatter(DType::kUInt16, {3, 1000, 65535}); }

TEST(SlabScatter, ValuesBeyondTheDenseTableUint32) {
  check_scatter(DType::kUInt32, {5, 70000, 4000000000u, 65536});
}

TEST(SlabScatter, NothingToDoLeavesMasksEmpty) {
  LabelVolume slab(DType::kUInt8, {2, 2, 2});
  for (std::size_t i = 0; i < slab.size(); ++i) slab.set(i, 1);
  LabelVolume mask(DType::kBool, {2, 2, 2});
  const ValueTarget target{1, mask.data_as<std::uint8_t>(), 0};
  LabelStats empty;  // voxels == 0: no box to scan
  scatter_slab(slab, 0, 0, 2, empty, {&target, 1});
  LabelStats box;
  box.voxels = 1;
  box.bbox_max_zyx = {1, 1, 1};
  scatter_slab(slab, 0, 1, 1, box, {&target, 1});  // empty z-range
  for (std::size_t i = 0; i < mask.size(); ++i) EXPECT_EQ(mask.get(i), 0u);
}

}  // namespace
}  // namespace medmask::container
