// cli/cmd_pack.cpp: `medmask pack`: many binary NIfTI masks of one case into one archive.
#include <CLI/CLI.hpp>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "text.hpp"

namespace medmask::cli {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct PackOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::string level = "default";
  std::optional<double> tolerance_mm;  // default_tolerance_mm() of the reference grid
  bool quiet = false;
};

// Inputs whose grid is not the first file's but within --tolerance: they are stored on the
// first file's grid, which the user is told about.
struct Shifted {
  std::size_t count = 0;
  std::string example;  // the first such file and how far off it is
};

WriteOptions write_options(const std::string& level) {
  WriteOptions out;
  out.level = level == "fast"  ? CompressionLevel::kFast
              : level == "max" ? CompressionLevel::kMax
                               : CompressionLevel::kDefault;
  return out;
}

void check_same_space(const InputFile& first, const Space& first_space, const InputFile& file,
                      const Space& space, double tolerance_mm, Shifted& shifted) {
  if (space.is_close(first_space, kDefaultToleranceMm)) return;
  if (space.shape_xyz() != first_space.shape_xyz() || !space.is_close(first_space, tolerance_mm)) {
    const bool same_shape = space.shape_xyz() == first_space.shape_xyz();
    throw ArgumentError(file.path.string() + ": space differs from " + first.path.string() + ": " +
                            space_difference(first_space, space, tolerance_mm) +
                            (same_shape ? "; --tolerance MM accepts a larger distance" : ""),
                        file.path.string());
  }
  if (shifted.count++ == 0) {
    shifted.example =
        file.path.string() + ": " + space_difference(first_space, space, tolerance_mm);
  }
}

// Removes the scratch archive unless the pack succeeded (a failed pack leaves no output).
class ScratchFile {
 public:
  explicit ScratchFile(fs::path path) : path_(std::move(path)) {}
  ~ScratchFile() {
    if (!kept_) {
      std::error_code ignored;
      fs::remove(path_, ignored);
    }
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;
  const fs::path& path() const noexcept { return path_; }
  void move_to(const fs::path& target) {
    fs::rename(path_, target);
    kept_ = true;
  }

 private:
  fs::path path_;
  bool kept_ = false;
};

void print_report(std::size_t files, std::uint64_t bytes_in, std::uint64_t bytes_out,
                  double total_s, const ReadTiming& timing, double write_s, unsigned threads) {
  const std::string ratio =
      bytes_out > 0
          ? fixed(static_cast<double>(bytes_in) / static_cast<double>(bytes_out), 1) + ":1"
          : "-";
  std::cout << "files in" << right("bytes in", 11) << right("bytes out", 13) << "  "
            << left("ratio", 9) << "time\n";
  std::cout << right(std::to_string(files), 8) << right(with_commas(bytes_in), 11)
            << right(with_commas(bytes_out), 13) << "  " << left(ratio, 9) << fixed(total_s, 2)
            << " s\n";
  std::cout << "reading " << fixed(timing.read_seconds, 2) << " s (" << threads
            << " threads), packing " << fixed(timing.consume_seconds, 2) << " s, writing "
            << fixed(write_s, 2) << " s\n";
}

void run_pack(const PackOptions& options) {
  const Clock::time_point start = Clock::now();
  const std::vector<InputFile> files = find_inputs(options.inputs);
  std::uint64_t bytes_in = 0;
  for (const InputFile& file : files) bytes_in += file.bytes;

  const fs::path output(options.output);
  ScratchFile scratch(fs::path(options.output + ".tmp-pack"));
  std::optional<MaskArchive> archive;  // destroyed before scratch: it commits on destruction
  std::optional<Space> first_space;
  Shifted shifted;
  const unsigned threads = reader_threads(files.size());

  const ReadTiming timing =
      read_inputs_in_order(files, threads, [&](std::size_t index, NiftiImage& image) {
        const InputFile& file = files[index];
        const std::uint32_t max_value = image.volume.max_value();
        if (max_value > 1) {
          throw ArgumentError(file.path.string() + ": not a binary mask: holds values up to " +
                                  std::to_string(max_value) +
                                  "; pack expects 0/1 masks (one structure per file)",
                              file.path.string());
        }
        if (!first_space) {
          first_space = image.space;
          archive.emplace(scratch.path().string(), OpenMode::kWrite, image.space,
                          write_options(options.level));
        } else {
          check_same_space(files.front(), *first_space, file, image.space,
                           options.tolerance_mm.value_or(default_tolerance_mm(*first_space)),
                           shifted);
        }
        archive->add_structure(file.name, image.volume);
      });

  const Clock::time_point write_start = Clock::now();
  archive->commit();
  archive.reset();
  scratch.move_to(output);
  const double write_s = std::chrono::duration<double>(Clock::now() - write_start).count();
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();

  if (options.quiet) return;
  if (shifted.count > 0) {
    std::cerr << "medmask: warning: " << shifted.count << " input(s) lie on a grid other than "
              << files.front().path.string() << "'s, within --tolerance; stored on its grid ("
              << shifted.example << ")\n";
  }
  {
    print_report(files.size(), bytes_in, static_cast<std::uint64_t>(fs::file_size(output)), total_s,
                 timing, write_s, threads);
  }
}

}  // namespace

void register_pack(CLI::App& app) {
  auto options = std::make_shared<PackOptions>();
  CLI::App* cmd = app.add_subcommand(
      "pack", "Pack binary NIfTI masks (files or folders of .nii/.nii.gz) into one archive");
  cmd->add_option("inputs", options->inputs, "NIfTI files or folders of them (sorted by name)")
      ->required();
  cmd->add_option("-o,--output", options->output, "archive to write (.mska)")->required();
  cmd->add_option("--level", options->level,
                  "codec effort: fast, default or max (smallest file); default: default")
      ->check(CLI::IsMember({"fast", "default", "max"}));
  cmd->add_option("--tolerance", options->tolerance_mm,
                  "largest distance (mm) between where two inputs put a corner voxel; default: a "
                  "tenth of the smallest voxel spacing")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-q,--quiet", options->quiet, "print nothing on success");
  cmd->callback([options] { run_pack(*options); });
}

}  // namespace medmask::cli
