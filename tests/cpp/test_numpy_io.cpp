// .npy/.npz reading against files numpy wrote (tests/data/numpy/make_numpy_cases.py); expected
// voxels come from the generator's formula, value(z, y, x) = (7 z + 3 y + x) % 11.
#include <gtest/gtest.h>

#include "medmask/error.hpp"
#include "medmask/numpy_io.hpp"
#include "temp_dir.hpp"

using namespace medmask;

namespace {

const std::string kDir = std::string(MEDMASK_SOURCE_DIR) + "/tests/data/numpy/";

std::uint32_t formula(std::size_t index) {
  const std::size_t z = index / 20, y = (index / 5) % 4, x = index % 5;
  return static_cast<std::uint32_t>((7 * z + 3 * y + x) % 11);
}

void expect_formula(const LabelVolume& volume, bool as_mask = false) {
  ASSERT_EQ(volume.shape_zyx(), (Shape3{3, 4, 5}));
  for (std::size_t i = 0; i < volume.size(); ++i) {
    const std::uint32_t want = as_mask ? (formula(i) > 5 ? 1u : 0u) : formula(i);
    ASSERT_EQ(volume.get(i), want) << "voxel " << i;
  }
}

}  // namespace

TEST(Npy, ReadsEveryLayoutNumpyWrites) {
  for (const char* name :
       {"u2_c_order.npy", "i4_fortran_order.npy", "f4_whole_numbers.npy", "u2_big_endian.npy"}) {
    SCOPED_TRACE(name);
    const LabelVolume volume = read_npy(kDir + name);
    EXPECT_EQ(volume.dtype(), DType::kUInt8);  // values 0..10 fit the smallest type
    expect_formula(volume);
  }
  const LabelVolume mask = read_npy(kDir + "bool_mask.npy");
  EXPECT_EQ(mask.dtype(), DType::kBool);
  expect_formula(mask, true);
}

TEST(Npy, RefusesWhatIsNotALabelVolume) {
  EXPECT_THROW(read_npy(kDir + "bad_fraction.npy"), ArgumentError);
  EXPECT_THROW(read_npy(kDir + "bad_negative.npy"), ArgumentError);
  EXPECT_THROW(read_npy(kDir + "bad_two_dimensional.npy"), UnsupportedError);
  EXPECT_THROW(read_npy(kDir + "bad_complex.npy"), UnsupportedError);
  EXPECT_THROW(read_npy(kDir + "missing.npy"), IoError);
  EXPECT_THROW(read_npy(kDir + "make_numpy_cases.py"), FormatError);
}

TEST(Npz, ReadsArraysAndTexts) {
  const NpzContents npz = read_npz(kDir + "case.npz");
  ASSERT_EQ(npz.arrays.size(), 2u);
  EXPECT_EQ(npz.arrays[0].first, "labels");
  expect_formula(npz.arrays[0].second);
  EXPECT_EQ(npz.arrays[1].first, "mask");
  expect_formula(npz.arrays[1].second, true);
  ASSERT_EQ(npz.texts.size(), 1u);
  EXPECT_EQ(npz.texts[0].second, "{\"space\": \"lps\", \"name\": \"Leber \xE8\x82\x9D\"}");
  ASSERT_EQ(npz.skipped.size(), 1u);
  EXPECT_EQ(npz.skipped[0], "vector");
}

TEST(Npz, WriteReadRoundTrip) {
  const NpzContents original = read_npz(kDir + "case.npz");
  const medmask::testing::TempDir dir;
  const std::string path = dir.file("round_trip.npz");
  write_npz(path, original.arrays, original.texts);
  const NpzContents back = read_npz(path);
  ASSERT_EQ(back.arrays.size(), 2u);
  EXPECT_TRUE(back.arrays[0].second.equals(original.arrays[0].second));
  EXPECT_EQ(back.arrays[1].second.dtype(), DType::kBool);
  EXPECT_EQ(back.texts, original.texts);
  EXPECT_THROW(
      write_npz(path, {{"a", original.arrays[0].second}, {"a", original.arrays[0].second}}),
      ArgumentError);
  EXPECT_THROW(read_npz(kDir + "u2_c_order.npy"), FormatError);  // not a ZIP
}
