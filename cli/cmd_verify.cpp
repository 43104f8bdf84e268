// cli/cmd_verify.cpp: `medmask verify`: every structure reads back (the reader checks the
// checksums) and, with --against, equals its NIfTI source voxel for voxel.
#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "text.hpp"

namespace medmask::cli {
namespace {

struct VerifyOptions {
  std::string archive;
  std::vector<std::string> against;
  std::optional<double> tolerance_mm;  // default_tolerance_mm() of the reference grid
};

// Reads one structure; on failure prints why and returns false.
bool read_ok(const MaskArchive& archive, const std::string& name, LabelVolume* out) {
  try {
    LabelVolume mask = archive.read_structure(name);
    if (out != nullptr) *out = std::move(mask);
    return true;
  } catch (const Error& e) {
    std::cout << "FAILED " << name << ": " << e.what() << '\n';
    return false;
  }
}

std::uint64_t count_differing(const LabelVolume& a, const LabelVolume& b) {
  std::uint64_t count = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a.get(i) != b.get(i)) ++count;
  return count;
}

// Compares one source file with its structure; prints and returns the number of problems (0/1).
std::size_t compare_one(const MaskArchive& archive, const InputFile& file, const NiftiImage& image,
                        double tolerance_mm) {
  const std::string where = file.name + " (" + file.path.string() + ")";
  if (!archive.contains(file.name)) {
    std::cout << "MISSING " << where << ": no structure of that name in the archive\n";
    return 1;
  }
  LabelVolume mask;
  if (!read_ok(archive, file.name, &mask)) return 1;
  if (!image.space.is_close(archive.space(), tolerance_mm)) {
    std::cout << "MISMATCH " << where
              << ": space differs: " << space_difference(archive.space(), image.space, tolerance_mm)
              << '\n';
    return 1;
  }
  if (!mask.equals(image.volume)) {
    std::cout << "MISMATCH " << where << ": " << with_commas(count_differing(mask, image.volume))
              << " voxels differ (archive "
              << with_commas(archive.structure(file.name).stats.voxels) << " voxels)\n";
    return 1;
  }
  return 0;
}

void run_verify(const VerifyOptions& options) {
  const MaskArchive archive(options.archive, OpenMode::kRead, std::nullopt, {}, read_limits());
  const std::vector<StructureInfo> structures = archive.structures();
  std::size_t problems = 0;
  std::size_t checked = 0;
  std::set<std::string> compared;
  // Every section and chunk, also those no structure's box reaches.
  try {
    archive.verify_data();
  } catch (const Error& e) {
    std::cout << "FAILED stored data: " << e.what() << '\n';
    ++problems;
  }

  if (!options.against.empty()) {
    const std::vector<InputFile> files = find_inputs(options.against);
    read_inputs_in_order(
        files, reader_threads(files.size()), [&](std::size_t index, NiftiImage& image) {
          problems +=
              compare_one(archive, files[index], image,
                          options.tolerance_mm.value_or(default_tolerance_mm(archive.space())));
          compared.insert(files[index].name);
          ++checked;
        });
  }
  // Structures without a source file are still read, so their checksums are checked.
  std::size_t unmatched = 0;
  for (const StructureInfo& s : structures) {
    if (compared.count(s.name) != 0) continue;
    ++unmatched;
    if (!read_ok(archive, s.name, nullptr)) ++problems;
  }

  if (options.against.empty()) {
    if (problems == 0) {
      std::cout << "verified " << structures.size() << " structures: all read back, checksums OK\n";
      return;
    }
    std::cout << problems << " problems in " << structures.size() << " structures and their data\n";
    throw ReportedFailure();
  }
  if (unmatched > 0) {
    std::cout << "note: " << unmatched
              << " structures of the archive have no file in --against (read back only)\n";
  }
  if (problems == 0) {
    std::cout << "verified " << checked << " structures: all identical\n";
    return;
  }
  std::cout << problems << (problems == 1 ? " mismatch" : " mismatches") << '\n';
  throw ReportedFailure();
}

}  // namespace

void register_verify(CLI::App& app) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "verify", "Read every structure back (checksums) and optionally compare with NIfTI files");
  cmd->add_option("archive", options->archive, "archive (.mska)")->required();
  cmd->add_option("--against", options->against,
                  "NIfTI files or folders of them to compare with, bit for bit");
  cmd->add_option("--tolerance", options->tolerance_mm,
                  "largest distance (mm) between where archive and file put a corner voxel; "
                  "default: a tenth of the smallest voxel spacing")
      ->check(CLI::PositiveNumber);
  cmd->callback([options] { run_verify(*options); });
}

}  // namespace medmask::cli
