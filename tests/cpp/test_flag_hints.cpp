// The CLI's flag hints (cli/flag_hints.cpp) go by an error's Remedy and a warning's kind, never by
// the wording of the library's text: reworded texts keep their hint, and a text that merely
// contains a remedy's words gets none.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "flag_hints.hpp"
#include "medmask/error.hpp"
#include "medmask/warning.hpp"

namespace medmask::cli {
namespace {

std::string hint_of(const std::string& text, Remedy remedy) {
  return with_flag_hint(ArgumentError(text, "x.nii", std::nullopt, remedy));
}

TEST(FlagHints, FollowTheRemedyWhateverTheWording) {
  EXPECT_EQ(hint_of("x.nii: values 7 have no name", Remedy::kAllowUnnamedValues),
            "x.nii: values 7 have no name; --allow-unnamed does so");
  EXPECT_EQ(hint_of("x.npy: where is it?", Remedy::kGiveGeometry),
            "x.npy: where is it?; --space-from reference.nii.gz, or --origin and --spacing "
            "(and --direction)");
  EXPECT_EQ(hint_of("x.dcm: too many segments", Remedy::kBinarySegmentation),
            "x.dcm: too many segments; --type binary");
}

TEST(FlagHints, NoRemedyNoHintEvenInTheRemedysWords) {
  for (const std::string text :
       {"x: allow unnamed values to store them",
        "x: give a reference space, or an origin and a spacing", "x: write BINARY instead"}) {
    EXPECT_EQ(hint_of(text, Remedy::kNone), text);
  }
}

TEST(FlagHints, WarningsGoByKind) {
  EXPECT_EQ(with_flag_hint(Warning{WarningKind::kStandaloneSeg, "seg.dcm: alone"}),
            "seg.dcm: alone; --reference CT_FOLDER names the series");
  EXPECT_EQ(with_flag_hint(Warning{WarningKind::kRenamed, "without a reference series"}),
            "without a reference series");
}

}  // namespace
}  // namespace medmask::cli
