// fuzz/make_seeds.cpp: writes the seed corpora (fuzz/corpus/<target>/) from small valid files:
// archives written by this library at every level and coding, with groups, split structures and
// an in-place append; NIfTI, .seg.nrrd and .npz written by its writers; and copies of the small
// valid files under tests/data. Run from the source root: `build/release/fuzz/fuzz_make_seeds`.
// The output is committed; rerun it when a format changes.
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "archive_seal.hpp"
#include "codec/label_codec.hpp"
#include "medmask/archive.hpp"
#include "medmask/label_files.hpp"
#include "medmask/nifti.hpp"
#include "medmask/numpy_io.hpp"
#include "medmask/seg_nrrd.hpp"
#include "sample_archives.hpp"

namespace fs = std::filesystem;
using namespace medmask;
using fuzz::blob;
using fuzz::small_space;

namespace {

const fs::path kCorpus = "fuzz/corpus";

std::vector<std::uint8_t> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

void write_seed(const std::string& target, const std::string& name,
                const std::vector<std::uint8_t>& bytes) {
  fs::create_directories(kCorpus / target);
  std::ofstream out(kCorpus / target / name, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

void copy_seed(const std::string& target, const fs::path& source,
               std::vector<std::uint8_t> prefix = {}) {
  std::vector<std::uint8_t> bytes = read_bytes(source);
  bytes.insert(bytes.begin(), prefix.begin(), prefix.end());
  write_seed(target, source.filename().string(), bytes);
}

std::vector<std::uint8_t> write_archive(const fuzz::SampleLayout& layout) {
  const std::string path = (fs::temp_directory_path() / "medmask_seed.mska").string();
  fuzz::write_sample_archive(path, layout);
  std::vector<std::uint8_t> bytes = read_bytes(path);
  fs::remove(path);
  return bytes;
}

void archive_seeds() {
  for (const fuzz::SampleLayout& layout : fuzz::sample_layouts()) {
    const std::vector<std::uint8_t> bytes = write_archive(layout);
    write_seed("archive", std::string(layout.name) + ".mska", bytes);
    const auto parts = fuzz::unseal(bytes, layout.name);
    write_seed("index", std::string(layout.name) + ".seed", fuzz::to_fuzz_input(parts));
  }
  for (const char* name : {"tiny.mska", "groups_cm1.mska", "groups_zstd.mska", "layered_tiles.mska",
                           "layered_edges_tiles.mska"}) {
    copy_seed("archive", fs::path("tests/data/golden") / name);
    const auto parts = fuzz::unseal(read_bytes(fs::path("tests/data/golden") / name), name);
    write_seed("index", std::string(name) + ".seed", fuzz::to_fuzz_input(parts));
  }
  // 0.1.x files hold the whole sample grid (seconds per run under ASan): only the two smallest,
  // and only one through MaskArchive.
  copy_seed("archive", "tests/data/compat/liver.msk");
  for (const char* name : {"liver.msk", "spleen_bool.msk"})
    copy_seed("medmask_v1", fs::path("tests/data/compat") / name);
}

// one_label: a chunk of 0 and one label, which levels fast and default code in stream mode 4.
template <class T>
void codec_seeds(const char* name, std::uint8_t width_selector, codec::Level level,
                 bool one_label = false) {
  const codec::Dims dims{13, 9, 7};
  std::vector<T> voxels(dims.nx * dims.ny * dims.nz);
  for (std::size_t i = 0; i < voxels.size(); ++i) {
    const std::size_t x = i % dims.nx, y = i / dims.nx % dims.ny, z = i / (dims.nx * dims.ny);
    voxels[i] =
        one_label
            ? static_cast<T>(x + y > 8 || (z > 3 && x < 5) ? 5 : 0)
            : static_cast<T>((x + y > 8 ? 1 : 0) + (z > 3 && x < 5 ? 2 : 0) + (y == 4 ? 7 : 0));
  }
  const std::uint8_t selector =
      static_cast<std::uint8_t>(width_selector + 3 * static_cast<int>(level));
  std::vector<std::uint8_t> input{selector, 12, 8, 6};  // dims: value % 64 + 1
  const auto stream = codec::encode_chunk<T>(voxels.data(), dims, level);
  input.insert(input.end(), stream.begin(), stream.end());
  write_seed("codec_decode", name, input);
  // The same chunk coded against a near-copy of itself (stream mode 5), which fuzz_codec_decode
  // decodes with a prediction of its own.
  std::vector<T> predicted = voxels;
  for (std::size_t i = 0; i < predicted.size(); i += 37) predicted[i] = T{0};
  const auto against = codec::encode_chunk<T>(voxels.data(), dims, level, predicted.data());
  if (codec::uses_prediction(against.data(), against.size())) {
    std::vector<std::uint8_t> seed{selector, 12, 8, 6};
    seed.insert(seed.end(), against.begin(), against.end());
    write_seed("codec_decode", std::string(name) + "_predicted", seed);
  }
  std::vector<std::uint8_t> raw{selector, 12, 8, 6};
  for (std::size_t i = 0; i < 200; ++i) raw.push_back(static_cast<std::uint8_t>(voxels[i] & 0x0f));
  write_seed("codec_roundtrip", name, raw);
}

void image_seeds() {
  const Space space = small_space();
  LabelVolume labels(DType::kUInt8, space.shape_zyx());
  const LabelVolume a = blob(space, 4, 5, 5, 3, false), b = blob(space, 3, 4, 10, 2, true);
  for (std::size_t i = 0; i < labels.size(); ++i) labels.set(i, a.get(i) ? 1 : (b.get(i) ? 2 : 0));
  LabelTable table;
  table.add(Label{"liver", 1, Rgb{200, 80, 60}, "", {}});
  table.add("spleen", 2);
  const fs::path tmp = fs::temp_directory_path();

  NiftiWriteOptions nifti_options;
  nifti_options.extensions = label_table_extensions(table);
  write_nifti((tmp / "seed.nii.gz").string(), labels, space, nifti_options);
  write_seed("nifti", "labels_extensions.nii.gz", read_bytes(tmp / "seed.nii.gz"));
  write_nifti((tmp / "seed.nii").string(), b, space);
  write_seed("nifti", "mask_plain.nii", read_bytes(tmp / "seed.nii"));
  for (const char* name :
       {"int16_big_endian.nii.gz", "float64_integers.nii", "four_d_singleton.nii.gz",
        "oblique_qform_only.nii.gz", "neither_fallback.nii.gz"})
    copy_seed("nifti", fs::path("tests/data/geometry") / name);

  SegNrrd seg;
  seg.space = space;
  seg.layers = {labels, b.converted(DType::kUInt8)};
  seg.segments = {{Label{"liver", 1, Rgb{200, 80, 60}, "", {}}, 0, "", ""},
                  {Label{"spleen", 2, {}, "", {}}, 0, "", ""},
                  {Label{"box", 1, {}, "", {}}, 1, "", ""}};
  write_seg_nrrd((tmp / "seed.seg.nrrd").string(), seg);
  write_seed("seg_nrrd", "two_layers.seg.nrrd", read_bytes(tmp / "seed.seg.nrrd"));
  copy_seed("seg_nrrd", "tests/data/seg_nrrd/two_layers_oblique.seg.nrrd");
  copy_seed("seg_nrrd", "tests/data/seg_nrrd/label_ras_int16.nrrd");

  write_npz((tmp / "seed.npz").string(), {{"labels", labels}, {"mask", b}},
            {{"names", "liver,spleen"}});
  write_seed("npz", "labels.npz", read_bytes(tmp / "seed.npz"));
  copy_seed("npz", "tests/data/numpy/case.npz");
  for (const char* name : {"bool_mask.npy", "f4_whole_numbers.npy", "i4_fortran_order.npy",
                           "u2_big_endian.npy", "u2_c_order.npy"})
    copy_seed("npy", fs::path("tests/data/numpy") / name);
  for (const char* name : {"seed.nii.gz", "seed.nii", "seed.seg.nrrd", "seed.npz"})
    fs::remove(tmp / name);
}

void label_file_seeds() {
  const auto text = [](std::uint8_t parser, const std::string& body) {
    std::vector<std::uint8_t> bytes{parser};
    bytes.insert(bytes.end(), body.begin(), body.end());
    return bytes;
  };
  write_seed("label_files", "mapping.json",
             text(0, R"({"liver": 1, "spleen": 2, "left kidney": 3})"));
  write_seed("label_files", "values.json", text(0, R"({"1": "liver", "2": "spleen"})"));
  write_seed(
      "label_files", "list.json",
      text(
          0,
          R"({"labels": [{"name": "liver", "value": 1, "color": [200, 80, 60], "description": "d",)"
          R"( "concept": {"scheme": "SCT", "code": "10200004", "meaning": "Liver"}}]})"));
  write_seed("label_files", "table.csv",
             text(1, "value,name,r,g,b\n1,liver,200,80,60\n2,\"spleen, main\",1,2,3\n"));
  write_seed("label_files", "name_first.csv", text(1, "name,value\nliver,1\nspleen,2\n"));
  write_seed("label_files", "itksnap.txt",
             text(2,
                  "# ITK-SnAP Label Description File\n    0     0    0    0        0  0  0    "
                  "\"Clear Label\"\n"
                  "    1   255    0    0        1  1  1    \"liver\"\n    2     0  255    0      "
                  "0.5  1  0    \"spleen\"\n"));
  write_seed(
      "label_files", "slicer.ctbl",
      text(3,
           "# Color table\n0 Background 0 0 0 0\n1 liver 200 80 60 255\n2 spleen 10 20 30 255\n"));
  write_seed("label_files", "auto.txt", text(4, "1 liver 200 80 60 255\n"));
  LabelTable table;
  table.add(Label{"liver", 1, Rgb{200, 80, 60}, "", {}});
  table.add("spleen", 2);
  write_seed("label_files", "caret.xml", text(5, to_caret_label_xml(table)));
}

}  // namespace

int main() {
  archive_seeds();
  codec_seeds<std::uint8_t>("u8_default", 0, codec::Level::kDefault);
  codec_seeds<std::uint8_t>("u8_fast", 0, codec::Level::kFast);
  codec_seeds<std::uint16_t>("u16_max", 1, codec::Level::kMax);
  codec_seeds<std::uint32_t>("u32_fast", 2, codec::Level::kFast);
  codec_seeds<std::uint8_t>("u8_one_label_default", 0, codec::Level::kDefault, true);
  codec_seeds<std::uint16_t>("u16_one_label_fast", 1, codec::Level::kFast, true);
  image_seeds();
  label_file_seeds();
  return 0;
}
