// NIfTI-1 reading and writing, checked against what nibabel reads
// (tests/data/geometry/expected.json, tests/data/s0000_expected.json, both made by scripts
// committed beside them) and docs/IMPORT_EXPORT.md "Geometry policy for NIfTI input".
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/gzip.hpp"
#include "medmask/error.hpp"
#include "medmask/nifti.hpp"
#include "temp_dir.hpp"

namespace medmask {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::TempDir;

const std::string kSource = MEDMASK_SOURCE_DIR;
const std::string kGeometry = kSource + "/tests/data/geometry/";
const std::string kErrors = kSource + "/tests/data/errors/nifti/";
const std::string kS0000 = kSource + "/examples/data/s0000/";

json load_json(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot open " + path);
  return json::parse(in);
}

std::vector<std::uint8_t> load_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void expect_lps_corners(const NiftiImage& image, const json& entry, const std::string& name,
                        double tolerance = 1e-4) {
  const auto& voxels = entry.at("voxels_ijk");
  const auto& lps = entry.at("lps");
  ASSERT_EQ(voxels.size(), lps.size());
  for (std::size_t n = 0; n < voxels.size(); ++n) {
    const Vec3 ijk{voxels[n][0].get<double>(), voxels[n][1].get<double>(),
                   voxels[n][2].get<double>()};
    const Vec3 got = image.space.ijk_to_lps(ijk);
    for (std::size_t a = 0; a < 3; ++a) {
      EXPECT_NEAR(got[a], lps[n][a].get<double>(), tolerance)
          << name << " voxel (" << ijk[0] << ", " << ijk[1] << ", " << ijk[2] << ") axis " << a;
    }
  }
}

void expect_same_affine(const Space& a, const Space& b, double tolerance, const std::string& name) {
  EXPECT_EQ(a.shape_xyz(), b.shape_xyz()) << name;
  const Affine4 x = a.to_affine_lps();
  const Affine4 y = b.to_affine_lps();
  for (std::size_t r = 0; r < 4; ++r) {
    for (std::size_t c = 0; c < 4; ++c) EXPECT_NEAR(x[r][c], y[r][c], tolerance) << name;
  }
}

// --- Geometry cases: every file against nibabel ------------------------------------------

TEST(NiftiGeometry, EveryCaseMatchesNibabel) {
  const json expected = load_json(kGeometry + "expected.json");
  ASSERT_GE(expected.at("cases").size(), 110u);
  for (const auto& [name, entry] : expected.at("cases").items()) {
    SCOPED_TRACE(name);
    const NiftiImage image = read_nifti(kGeometry + name);
    EXPECT_EQ(image.affine_used, entry.at("affine_used").get<std::string>());
    EXPECT_EQ(image.sform_code, entry.at("sform_code").get<int>());
    EXPECT_EQ(image.qform_code, entry.at("qform_code").get<int>());
    const auto shape = entry.at("shape_xyz").get<std::vector<std::int64_t>>();
    EXPECT_EQ(image.space.shape_xyz(), (Shape3{shape[0], shape[1], shape[2]}));
    EXPECT_EQ(image.volume.shape_zyx(), (Shape3{shape[2], shape[1], shape[0]}));
    EXPECT_EQ(dtype_name(image.volume.dtype()), entry.at("dtype").get<std::string>());
    expect_lps_corners(image, entry, name);
    const auto values = entry.at("voxels_zyx").get<std::vector<std::uint64_t>>();
    ASSERT_EQ(values.size(), image.volume.size());
    std::uint64_t checksum = 0;
    for (std::size_t i = 0; i < values.size(); ++i) {
      ASSERT_EQ(image.volume.get(i), values[i]) << "flat (z, y, x) index " << i;
      checksum = (checksum + image.volume.get(i) * (i + 1)) % (std::uint64_t{1} << 61);
    }
    EXPECT_EQ(checksum, entry.at("checksum").get<std::uint64_t>());
  }
}

TEST(NiftiGeometry, DisagreeingXformsWarnAndAgreeingOnesDoNot) {
  const NiftiImage disagree = read_nifti(kGeometry + "sform_qform_disagree.nii.gz");
  ASSERT_EQ(disagree.warnings.size(), 1u);
  EXPECT_EQ(disagree.warnings[0].kind, WarningKind::kAffineDisagreement);
  EXPECT_EQ(warning_kind_name(disagree.warnings[0].kind), "affine-disagreement");
  const std::string& text = disagree.warnings[0].text;
  EXPECT_NE(text.find("disagree by 5.0"), std::string::npos) << text;
  EXPECT_NE(text.find("qform (RAS)"), std::string::npos);
  // The warning says which affine was used, and why.
  EXPECT_NE(text.find("; using the sform (nibabel's precedence"), std::string::npos) << text;
  const NiftiImage forced = read_nifti(kGeometry + "sform_qform_disagree.nii.gz",
                                       {.affine_source = AffineSource::kQform});
  ASSERT_EQ(forced.warnings.size(), 1u);
  EXPECT_NE(forced.warnings[0].text.find("; using the qform (as requested)"), std::string::npos)
      << forced.warnings[0].text;
  EXPECT_TRUE(read_nifti(kGeometry + "oblique_sform_and_qform.nii.gz").warnings.empty());
}

TEST(NiftiGeometry, ForcedAffineSource) {
  const json cases = load_json(kGeometry + "expected.json").at("cases");
  // The disagreeing file's qform is the oblique affine moved +5 mm in RAS x (-5 mm in LPS x),
  // and its sform is the oblique affine itself (generator); oblique_qform_only holds the latter.
  const NiftiImage q = read_nifti(kGeometry + "sform_qform_disagree.nii.gz",
                                  {.affine_source = AffineSource::kQform});
  EXPECT_EQ(q.affine_used, "qform");
  json shifted = cases.at("oblique_qform_only.nii.gz");
  for (auto& p : shifted.at("lps")) p[0] = p[0].get<double>() - 5.0;
  expect_lps_corners(q, shifted, "forced qform");
  const NiftiImage s = read_nifti(kGeometry + "sform_qform_disagree.nii.gz",
                                  {.affine_source = AffineSource::kSform});
  EXPECT_EQ(s.affine_used, "sform");
  expect_lps_corners(s, cases.at("oblique_qform_only.nii.gz"), "forced sform");
  // Forcing a transform whose code is 0 is a caller error (documented in nifti.hpp).
  EXPECT_THROW(
      read_nifti(kGeometry + "perm03_qform.nii.gz", {.affine_source = AffineSource::kSform}),
      ArgumentError);
  EXPECT_THROW(
      read_nifti(kGeometry + "perm03_sform.nii.gz", {.affine_source = AffineSource::kQform}),
      ArgumentError);
}

TEST(NiftiGeometry, Extensions) {
  const NiftiImage image = read_nifti(kGeometry + "with_extension.nii.gz");
  ASSERT_EQ(image.extensions.size(), 2u);
  EXPECT_EQ(image.extensions[0].code, 6);
  EXPECT_EQ(image.extensions[0].data.rfind("MedMask test comment", 0), 0u);
  EXPECT_EQ(image.extensions[1].code, 0);
  EXPECT_EQ(image.extensions[1].data.rfind("<xml/>", 0), 0u);
  EXPECT_EQ((image.extensions[0].data.size() + 8) % 16, 0u);
}

TEST(NiftiGeometry, ReadBytesEqualsReadFile) {
  for (const char* name : {"oblique_qform_only.nii.gz", "float64_integers.nii"}) {
    const NiftiImage a = read_nifti(kGeometry + name);
    const NiftiImage b = read_nifti_bytes(load_bytes(kGeometry + name), name);
    EXPECT_TRUE(a.volume.equals(b.volume)) << name;
    EXPECT_EQ(a.space, b.space) << name;
  }
}

std::vector<std::uint8_t> gunzipped(const std::string& path) {
  const std::vector<std::uint8_t> packed = load_bytes(path);
  const io::ByteBuffer raw = io::gunzip(packed, path);
  return {raw.data.get(), raw.data.get() + raw.size};
}

TEST(NiftiGeometry, VoxOffsetZeroMeans352) {
  std::vector<std::uint8_t> bytes = gunzipped(kGeometry + "int16.nii.gz");
  const NiftiImage a = read_nifti_bytes(bytes, "int16.nii");
  const float zero = 0.0f;
  std::memcpy(bytes.data() + 108, &zero, 4);  // vox_offset (little-endian host and file)
  const NiftiImage b = read_nifti_bytes(bytes, "int16_offset0.nii");
  EXPECT_TRUE(a.volume.equals(b.volume));
}

TEST(NiftiGeometry, ShearedSformFallsBackToQform) {
  // Shear the sform of a file whose qform holds the same oblique grid: kAuto then takes the
  // qform (as ITK does) and says so; nibabel's corners for the qform-only twin still hold.
  std::vector<std::uint8_t> bytes = gunzipped(kGeometry + "oblique_sform_and_qform.nii.gz");
  float srow_x1 = 0.0f;
  std::memcpy(&srow_x1, bytes.data() + 284, 4);
  srow_x1 += 0.3f;
  std::memcpy(bytes.data() + 284, &srow_x1, 4);
  const NiftiImage image = read_nifti_bytes(bytes, "sheared.nii");
  EXPECT_EQ(image.affine_used, "qform");
  bool said = false;
  for (const Warning& w : image.warnings) {
    if (w.kind != WarningKind::kAffineFallback) continue;
    said = true;
    EXPECT_NE(w.text.find("sheared.nii: sform [["), std::string::npos) << w.text;
    EXPECT_NE(w.text.find("not orthogonal"), std::string::npos) << w.text;
    EXPECT_NE(w.text.find("; using the qform instead"), std::string::npos) << w.text;
  }
  EXPECT_TRUE(said);
  const json cases = load_json(kGeometry + "expected.json").at("cases");
  expect_lps_corners(image, cases.at("oblique_qform_only.nii.gz"), "sheared sform");
  EXPECT_THROW(read_nifti_bytes(bytes, "sheared.nii", {.affine_source = AffineSource::kSform}),
               UnsupportedError);
}

// --- Must-fail files -------------------------------------------------------------------------

ErrorCode code_for(const std::string& kind) {
  if (kind == "FormatError") return ErrorCode::kFormat;
  if (kind == "UnsupportedError") return ErrorCode::kUnsupported;
  if (kind == "LimitError") return ErrorCode::kLimit;
  if (kind == "ArgumentError") return ErrorCode::kArgument;
  throw std::runtime_error("unknown error kind " + kind);
}

TEST(NiftiErrors, EveryFileFailsWithItsKind) {
  const json expected = load_json(kErrors + "expected_errors.json");
  ASSERT_GE(expected.size(), 9u);
  for (const auto& [name, entry] : expected.items()) {
    const ErrorCode want = code_for(entry.at("error").get<std::string>());
    try {
      (void)read_nifti(kErrors + name);
      ADD_FAILURE() << name << " was read without error";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), want) << name << ": " << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos)
          << name << ": message does not name the file: " << e.what();
    }
  }
}

TEST(NiftiErrors, MessagesCarryDetails) {
  try {
    (void)read_nifti(kErrors + "truncated_data.nii.gz");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_EQ(e.offset(), std::optional<std::uint64_t>(352));
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
  try {
    (void)read_nifti(kErrors + "float_non_integer.nii.gz");
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("60 non-integer values"), std::string::npos) << e.what();
  }
  try {
    (void)read_nifti(kErrors + "negative_values.nii.gz");
    FAIL();
  } catch (const ArgumentError& e) {
    EXPECT_NE(std::string(e.what()).find("3 negative values"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_nifti(kErrors + "no_such_file.nii.gz"), IoError);
  EXPECT_THROW(read_nifti_bytes({}, "empty"), FormatError);
}

TEST(NiftiErrors, EveryTruncationFailsAndHeaderBitFlipsNeverCrash) {
  for (const char* name :
       {"int16_big_endian.nii.gz", "with_extension.nii.gz", "left_handed_qfac_minus1.nii.gz"}) {
    const std::vector<std::uint8_t> bytes = gunzipped(kGeometry + name);
    const std::span<const std::uint8_t> all(bytes);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_THROW(read_nifti_bytes(all.first(n), name), FormatError) << name << " cut at " << n;
    }
    for (std::size_t i = 0; i < 352 + 64 && i < bytes.size(); ++i) {
      std::vector<std::uint8_t> flipped = bytes;
      flipped[i] ^= 0xA5;
      try {
        (void)read_nifti_bytes(flipped, name);
      } catch (const Error&) {
        // Any MedMask error is fine; other exceptions or crashes are not.
      }
    }
  }
}

// --- gzip ------------------------------------------------------------------------------------

TEST(NiftiGzip, MultiMemberAndPadding) {
  const std::vector<std::uint8_t> nii = load_bytes(kGeometry + "float64_integers.nii");
  ASSERT_GT(nii.size(), 400u);
  const std::span<const std::uint8_t> all(nii);
  std::vector<std::uint8_t> two = io::gzip_compress(all.first(200), 6);
  const std::vector<std::uint8_t> second = io::gzip_compress(all.subspan(200), 1);
  two.insert(two.end(), second.begin(), second.end());
  const NiftiImage a = read_nifti(kGeometry + "float64_integers.nii");
  const NiftiImage b = read_nifti_bytes(two, "two_members.nii.gz");
  EXPECT_TRUE(a.volume.equals(b.volume));
  two.insert(two.end(), 16, 0);  // zero padding after the last member is tolerated
  EXPECT_TRUE(a.volume.equals(read_nifti_bytes(two, "padded.nii.gz").volume));
  two.push_back(7);  // anything else is not
  EXPECT_THROW(read_nifti_bytes(two, "garbage.nii.gz"), FormatError);
}

TEST(NiftiGzip, OutputLimit) {
  const std::vector<std::uint8_t> zeros(1 << 20, 0);
  const std::vector<std::uint8_t> packed = io::gzip_compress(zeros, 6);
  EXPECT_EQ(io::gunzip(packed, "zeros").size, zeros.size());
  EXPECT_THROW(io::gunzip(packed, "zeros", 1000), LimitError);
  EXPECT_THROW(io::gzip_compress(zeros, 13), ArgumentError);
}

// --- Writing ---------------------------------------------------------------------------------

TEST(NiftiWrite, RoundTripEveryGeometryCase) {
  const json cases = load_json(kGeometry + "expected.json").at("cases");
  TempDir dir;
  for (const auto& [name, entry] : cases.items()) {
    SCOPED_TRACE(name);
    const NiftiImage in = read_nifti(kGeometry + name);
    for (const char* ext : {".nii", ".nii.gz"}) {
      const std::string path = dir.file("out" + std::string(ext));
      write_nifti(path, in.volume, in.space);
      const NiftiImage out = read_nifti(path);
      EXPECT_TRUE(out.volume.equals(in.volume));
      EXPECT_EQ(out.volume.dtype(), in.volume.dtype());
      expect_same_affine(out.space, in.space, 1e-5, name);
      EXPECT_EQ(out.affine_used, "sform");
      EXPECT_EQ(out.sform_code, 1);
      EXPECT_EQ(out.qform_code, 1);
      // The qform we write must describe the same grid (no disagreement warning), and forcing
      // it must give the same corners within float32 precision.
      EXPECT_TRUE(out.warnings.empty()) << (out.warnings.empty() ? "" : out.warnings[0].text);
      const NiftiImage q = read_nifti(path, {.affine_source = AffineSource::kQform});
      EXPECT_TRUE(q.space.is_close(in.space, 1e-4))
          << q.space.to_string() << " vs " << in.space.to_string();
      EXPECT_EQ(q.space.handedness(), in.space.handedness());
    }
  }
}

TEST(NiftiWrite, OptionsExtensionsAndDtypes) {
  TempDir dir;
  const Space space({3, 2, 2}, {1, 2, 3}, {1, 1, 1}, Mat3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}});
  LabelVolume mask(DType::kBool, {2, 2, 3});
  mask.set(5, 1);
  NiftiWriteOptions options;
  options.xform_code = 2;
  options.extensions = {{6, "hello"}, {0, std::string(20, 'x')}};
  write_nifti(dir.file("m.nii.gz"), mask, space, options);
  const NiftiImage m = read_nifti(dir.file("m.nii.gz"));
  EXPECT_EQ(m.volume.dtype(), DType::kUInt8);  // bool is written as uint8
  EXPECT_TRUE(m.volume.equals(mask));
  EXPECT_EQ(m.sform_code, 2);
  EXPECT_EQ(m.qform_code, 2);
  ASSERT_EQ(m.extensions.size(), 2u);
  EXPECT_EQ(m.extensions[0].code, 6);
  EXPECT_EQ(m.extensions[0].data, std::string("hello") + std::string(3, '\0'));  // 8+5 -> 16
  EXPECT_EQ(m.extensions[1].data.size(), 24u);                                   // 8+20 -> 32

  LabelVolume big(DType::kUInt32, {2, 2, 3});
  big.set(0, 4000000000u);
  big.set(11, 70000);
  write_nifti(dir.file("big.nii"), big, space);
  const NiftiImage b = read_nifti(dir.file("big.nii"));
  EXPECT_EQ(b.volume.dtype(), DType::kUInt32);
  EXPECT_TRUE(b.volume.equals(big));
  // 12 voxels * 4 bytes after a 352-byte header, uncompressed.
  EXPECT_EQ(fs::file_size(dir.file("big.nii")), 352u + 48u);

  EXPECT_THROW(write_nifti(dir.file("x.nii"), LabelVolume(DType::kUInt8, {2, 2, 2}), space),
               ArgumentError);
  NiftiWriteOptions bad_code;
  bad_code.xform_code = 9;
  EXPECT_THROW(write_nifti(dir.file("x.nii"), mask, space, bad_code), ArgumentError);
  NiftiWriteOptions bad_level;
  bad_level.gzip_level = 20;
  EXPECT_THROW(write_nifti(dir.file("x.nii.gz"), mask, space, bad_level), ArgumentError);
  EXPECT_THROW(write_nifti(dir.file("missing_dir/x.nii"), mask, space), IoError);
  EXPECT_FALSE(fs::exists(dir.file("x.nii")));
}

// nibabel must read the affine we wrote (skipped when python3 with nibabel is not installed).
TEST(NiftiWrite, NibabelReadsOurAffine) {
  if (std::system("python3 -c 'import nibabel' > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 with nibabel not available";
  }
  TempDir dir;
  for (const char* name : {"left_handed_qfac_minus1.nii.gz", "oblique_sform_and_qform.nii.gz",
                           "perm37_qform.nii.gz", "near_180_deg_qform.nii.gz"}) {
    const NiftiImage in = read_nifti(kGeometry + name);
    const std::string path = dir.file("nib.nii.gz");
    write_nifti(path, in.volume, in.space);
    const std::string script =
        "import nibabel as n, numpy as np; i = n.load('" + path +
        "'); print(' '.join(repr(float(v)) for v in "
        "np.concatenate([i.affine[:3].ravel(), i.header.get_qform()[:3].ravel()])))";
    std::FILE* pipe = ::popen(("python3 -c \"" + script + "\"").c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::vector<double> values;
    double v = 0;
    while (std::fscanf(pipe, "%lf", &v) == 1) values.push_back(v);
    ASSERT_EQ(::pclose(pipe), 0);
    ASSERT_EQ(values.size(), 24u) << name;
    const Affine4 ras = in.space.to_affine_ras();
    for (std::size_t r = 0; r < 3; ++r) {
      for (std::size_t c = 0; c < 4; ++c) {
        EXPECT_NEAR(values[r * 4 + c], ras[r][c], 1e-5)
            << name << " sform [" << r << "][" << c << "]";
        EXPECT_NEAR(values[12 + r * 4 + c], ras[r][c], 1e-4)
            << name << " qform [" << r << "][" << c << "]";
      }
    }
  }
}

// --- The benchmark case (examples/data/s0000) --------------------------------------------------

TEST(NiftiS0000, LiverMatchesFormatsMd) {
  const NiftiImage image = read_nifti(kS0000 + "liver.nii.gz");
  EXPECT_EQ(image.space.shape_xyz(), (Shape3{294, 192, 179}));
  EXPECT_EQ(image.volume.dtype(), DType::kUInt8);
  EXPECT_EQ(image.affine_used, "sform");
  const Vec3 first = image.space.ijk_to_lps({0, 0, 0});
  const Vec3 last = image.space.ijk_to_lps({293, 191, 178});
  const Vec3 want_first{251.3474, -82.5640, 93.0928};
  const Vec3 want_last{-256.0105, -216.0948, 360.0928};
  for (std::size_t a = 0; a < 3; ++a) {
    EXPECT_NEAR(first[a], want_first[a], 1e-4);
    EXPECT_NEAR(last[a], want_last[a], 1e-4);
  }
}

TEST(NiftiS0000, EveryFileMatchesNibabelAndRoundTrips) {
  const json files = load_json(kSource + "/tests/data/s0000_expected.json").at("files");
  ASSERT_EQ(files.size(), 117u);
  TempDir dir;
  for (const auto& [name, entry] : files.items()) {
    SCOPED_TRACE(name);
    const NiftiImage image = read_nifti(kS0000 + name);
    expect_lps_corners(image, entry, name);
    std::map<std::uint32_t, std::uint64_t> counts;
    const auto* voxels = image.volume.data_as<std::uint8_t>();
    ASSERT_EQ(image.volume.dtype(), DType::kUInt8);
    for (std::size_t i = 0; i < image.volume.size(); ++i) ++counts[voxels[i]];
    std::map<std::uint32_t, std::uint64_t> want;
    for (const auto& [value, count] : entry.at("value_counts").items()) {
      want[static_cast<std::uint32_t>(std::stoul(value))] = count.get<std::uint64_t>();
    }
    EXPECT_EQ(counts, want);
    const std::string path = dir.file("roundtrip.nii.gz");
    NiftiWriteOptions fast;
    fast.gzip_level = 1;
    write_nifti(path, image.volume, image.space, fast);
    const NiftiImage back = read_nifti(path);
    EXPECT_TRUE(back.volume.equals(image.volume));
    expect_same_affine(back.space, image.space, 1e-5, name);
  }
}

}  // namespace
}  // namespace medmask
