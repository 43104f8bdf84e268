#include <gtest/gtest.h>

#include "medmask/error.hpp"

TEST(Error, CarriesCodePathAndOffset) {
  try {
    throw medmask::FormatError("case.mska: index at byte 64: checksum mismatch", "case.mska", 64);
  } catch (const medmask::Error& error) {
    EXPECT_EQ(error.code(), medmask::ErrorCode::kFormat);
    EXPECT_EQ(error.path(), "case.mska");
    ASSERT_TRUE(error.offset().has_value());
    EXPECT_EQ(*error.offset(), 64u);
    EXPECT_STREQ(error.what(), "case.mska: index at byte 64: checksum mismatch");
  }
  // Pinned values are part of the API.
  EXPECT_EQ(static_cast<int>(medmask::ErrorCode::kIo), 6);
}
