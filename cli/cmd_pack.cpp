// cli/cmd_pack.cpp: `medmask pack`: many binary NIfTI masks of one case into one archive.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "level_option.hpp"
#include "medmask/archive.hpp"
#include "medmask/dicom_seg.hpp"
#include "medmask/error.hpp"
#include "medmask/known_labels.hpp"
#include "new_archive.hpp"
#include "pack_sources.hpp"
#include "text.hpp"
#include "warnings.hpp"

namespace medmask::cli {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct PackOptions {
  std::vector<std::string> inputs;
  std::string output;
  std::string level = "default";
  bool layer_per_structure = false;    // WriteOptions::layer_per_structure = true
  bool shared_layers = false;          // WriteOptions::layer_per_structure = false
  std::optional<double> tolerance_mm;  // default_tolerance_mm() of the reference grid
  bool quiet = false;
  std::string nifti_affine = "auto";
  SourceOptions source;  // single-file sources: label map names, NumPy geometry
};

WriteOptions pack_write_options(const PackOptions& options) {
  WriteOptions out = write_options_for_level(options.level);
  if (options.layer_per_structure) out.layer_per_structure = true;
  if (options.shared_layers) out.layer_per_structure = false;
  return out;
}

AffineSource affine_source(const std::string& text) {
  return text == "sform"   ? AffineSource::kSform
         : text == "qform" ? AffineSource::kQform
                           : AffineSource::kAuto;
}

// A binary mask's colour, description and concept, when its NIfTI carries a one-label table
// (as `medmask export --to nifti-dir` writes), else TotalSegmentator's colour and concept for
// the names it defines; its name still comes from the file name.
Label label_from_extensions(const NiftiImage& image, const std::string& path,
                            const std::string& name) {
  const std::optional<LabelTable> table = label_table_from_extensions(image.extensions, path);
  if (!table || table->size() != 1) return totalsegmentator_label(name).value_or(Label{});
  Label label = table->labels().front();
  label.value = 0;  // the archive picks the value
  return label;
}

// What `export --to nifti-dir` writes into PATH/labels.json besides the files: the case's order,
// each structure's value and the groups (a group's file holds the union of its members).
struct FolderCase {
  std::map<std::string, std::size_t> position;  // file name -> place in the archive's order
  std::map<std::string, std::uint32_t> value;   // structure's file name -> its value
  std::map<std::string, std::vector<std::string>> members;  // group's file name -> members
};

// The labels.json of a single folder input, when it is MedMask's ({"structures": [...]});
// nullopt otherwise. Throws ArgumentError when it cannot be parsed.
std::optional<FolderCase> read_folder_case(const std::vector<std::string>& inputs) {
  if (inputs.size() != 1 || !fs::is_directory(inputs.front())) return std::nullopt;
  const fs::path path = fs::path(inputs.front()) / "labels.json";
  if (!fs::is_regular_file(path)) return std::nullopt;
  std::ifstream in(path);
  const nlohmann::json json = nlohmann::json::parse(in, nullptr, false);
  if (json.is_discarded()) {
    throw ArgumentError(path.string() + ": not valid JSON", path.string());
  }
  if (!json.is_object() || !json.contains("structures") || !json["structures"].is_array()) {
    return std::nullopt;
  }
  FolderCase folder;
  try {
    for (const nlohmann::json& item : json["structures"]) {
      const std::string file = item.at("file").get<std::string>();
      folder.position.emplace(file, folder.position.size());
      if (item.contains("members")) {
        folder.members[file] = item["members"].get<std::vector<std::string>>();
      } else if (item.contains("value")) {
        folder.value[file] = item["value"].get<std::uint32_t>();
      }
    }
  } catch (const nlohmann::json::exception& e) {
    throw ArgumentError(
        path.string() + ": not the labels.json of export --to nifti-dir: " + e.what(),
        path.string());
  }
  return folder;
}

// A group of labels.json, read from its file: added once every structure is.
struct FolderGroup {
  std::string file;
  std::string name;
  std::vector<std::string> members;
  Label label;
  LabelVolume voxels;
};

bool same_voxels(const LabelVolume& a, const LabelVolume& b) {
  for (std::size_t i = 0; i < a.size(); ++i) {
    if ((a.get(i) != 0) != (b.get(i) != 0)) return false;
  }
  return true;
}

// Inputs whose grid is not the first file's but within --tolerance: they are stored on the
// first file's grid, which the user is told about, naming the farthest one.
struct Shifted {
  std::size_t count = 0;
  double worst_mm = 0.0;
  std::string worst_file;
};

void check_same_space(const InputFile& first, const Space& first_space, const InputFile& file,
                      const Space& space, double tolerance_mm, Shifted& shifted) {
  if (space.is_close(first_space, kDefaultToleranceMm)) return;
  if (space.shape_xyz() != first_space.shape_xyz()) {
    const auto text = [](const Shape3& s) {
      return std::to_string(s[0]) + " x " + std::to_string(s[1]) + " x " + std::to_string(s[2]);
    };
    const Shape3& s = space.shape_xyz();
    const bool reversed = Shape3{s[2], s[1], s[0]} == first_space.shape_xyz();
    throw ArgumentError(file.path.string() + ": shape (x, y, z) " + text(s) + " differs from " +
                            first.path.string() + "'s " + text(first_space.shape_xyz()) +
                            (reversed ? ", reversed: it was written from a (z, y, x) array that "
                                        "needed transposing (save array.T, or resample it onto " +
                                            first.path.string() + "'s grid)"
                                      : "; one case's masks share one grid"),
                        file.path.string());
  }
  if (!space.is_close(first_space, tolerance_mm)) {
    // Suggest a larger tolerance only for what float rounding explains: never a shift that
    // moves voxel centres by a sizeable part of a voxel.
    const double distance = first_space.max_corner_distance_mm(space);
    const double limit = max_suggested_tolerance_mm(first_space);
    // Rounded up, so that the suggested value does accept it.
    const std::string advice =
        distance <= limit
            ? "; --tolerance " + format_mm(std::ceil(distance * 1e4) / 1e4) + " accepts it"
            : "; that is " + format_mm(distance / smallest_spacing_mm(space)) +
                  " voxel(s), not rounding: resample it onto " + first.path.string() + "'s grid";
    throw ArgumentError(file.path.string() + ": space differs from " + first.path.string() + ": " +
                            space_difference(first_space, space, tolerance_mm) + advice,
                        file.path.string());
  }
  ++shifted.count;
  const double distance = first_space.max_corner_distance_mm(space);
  if (distance > shifted.worst_mm) {
    shifted.worst_mm = distance;
    shifted.worst_file = file.path.string();
  }
}

void print_totals(std::size_t files, std::uint64_t bytes_in, std::uint64_t bytes_out,
                  double total_s) {
  const std::string ratio =
      bytes_out > 0
          ? fixed(static_cast<double>(bytes_in) / static_cast<double>(bytes_out), 1) + ":1"
          : "-";
  std::cout << "files in" << right("bytes in", 11) << right("bytes out", 13) << "  "
            << left("ratio", 9) << "time\n";
  std::cout << right(std::to_string(files), 8) << right(with_commas(bytes_in), 11)
            << right(with_commas(bytes_out), 13) << "  " << left(ratio, 9) << fixed(total_s, 2)
            << " s\n";
}

void print_report(std::size_t files, std::uint64_t bytes_in, std::uint64_t bytes_out,
                  double total_s, const ReadTiming& timing, double write_s, unsigned threads) {
  print_totals(files, bytes_in, bytes_out, total_s);
  std::cout << "reading " << fixed(timing.read_seconds, 2) << " s (" << threads
            << " threads), packing " << fixed(timing.consume_seconds, 2) << " s, writing "
            << fixed(write_s, 2) << " s\n";
}

// One file of another tool (a label map, a Slicer segmentation, NumPy, medmask 0.1.x).
void pack_imported(const PackOptions& options, const ImportedCase& imported,
                   Clock::time_point start) {
  const std::string& input = options.inputs.front();
  const fs::path output(options.output);
  {
    NewArchive archive;
    archive.create(options.output, imported.space, pack_write_options(options));
    add_imported(*archive, imported);
    archive.commit();
  }
  if (options.quiet) return;
  print_warnings(imported.warnings);
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();
  std::uint64_t bytes_in = 0;  // a folder of DICOM SEG instances: all its files
  std::size_t files_in = 0;
  for (const fs::path& file : fs::is_directory(input)
                                  ? std::vector<fs::path>(fs::directory_iterator(input), {})
                                  : std::vector<fs::path>{input}) {
    if (fs::is_regular_file(file)) bytes_in += fs::file_size(file), ++files_in;
  }
  print_totals(files_in, bytes_in, static_cast<std::uint64_t>(fs::file_size(output)), total_s);
  const MaskArchive written(options.output, OpenMode::kRead);
  std::cout << source_kind_name(input) << ": " << written.structures().size() << " structure(s) in "
            << written.entry_names().size() << " entr"
            << (written.entry_names().size() == 1 ? "y" : "ies") << "\n";
}

void run_pack(const PackOptions& options) {
  const Clock::time_point start = Clock::now();
  require_output_folder(options.output);
  if (options.inputs.size() == 1 &&
      (!fs::is_directory(options.inputs.front()) || is_dicom_file(options.inputs.front()))) {
    if (!fs::exists(options.inputs.front())) {
      throw IoError(options.inputs.front() + ": no such file or directory", options.inputs.front());
    }
    std::optional<ImportedCase> imported =
        import_single_source(options.inputs.front(), options.source);
    if (imported) return pack_imported(options, *imported, start);
  } else if (std::optional<ImportedCase> layers =
                 import_label_map_files(options.inputs, options.source)) {
    return pack_imported(options, *layers, start);
  } else if (options.source.any_label_option() || options.source.any_geometry_option()) {
    throw ArgumentError(
        "--labels, --allow-unnamed, --space-from, --origin, --spacing and --direction apply to "
        "a single input file (a label map or NumPy file), not to folders of masks");
  }
  for (const std::string& input : options.inputs) {
    if (!fs::is_directory(input) && is_non_nifti_source(input)) {
      throw ArgumentError(input + ": a " + source_kind_name(input) +
                              " is packed on its own: give it as the only input",
                          input);
    }
  }
  NiftiReadOptions nifti_options;
  nifti_options.affine_source = affine_source(options.nifti_affine);
  std::vector<InputFile> files = find_inputs(options.inputs);
  const std::optional<FolderCase> folder_case = read_folder_case(options.inputs);
  if (folder_case) {  // the archive's order; files labels.json does not list come last
    const auto place = [&](const InputFile& file) {
      const auto it = folder_case->position.find(file.path.filename().string());
      return it == folder_case->position.end() ? folder_case->position.size() : it->second;
    };
    std::stable_sort(files.begin(), files.end(),
                     [&](const InputFile& a, const InputFile& b) { return place(a) < place(b); });
  }
  std::vector<FolderGroup> groups;
  std::uint64_t bytes_in = 0;
  for (const InputFile& file : files) bytes_in += file.bytes;

  const fs::path output(options.output);
  NewArchive archive;  // created with the first file's space
  std::optional<Space> first_space;
  Shifted shifted;
  FileWarnings file_warnings;
  const unsigned threads = reader_threads(files.size());

  const ReadTiming timing = read_inputs_in_order(
      files, threads,
      [&](std::size_t index, NiftiImage& image) {
        const InputFile& file = files[index];
        file_warnings.add(file.path.string(), image.warnings);
        const std::uint32_t max_value = image.volume.max_value();
        if (max_value > 1 && !options.source.nonzero_inside) {
          throw ArgumentError(file.path.string() + ": not a binary mask: holds values up to " +
                                  std::to_string(max_value) +
                                  "; pack expects 0/1 masks (one structure per file); if every "
                                  "non-zero value means inside (tools that write 0/255), add "
                                  "--nonzero-inside",
                              file.path.string());
        }
        if (!first_space) {
          first_space = image.space;
          archive.create(options.output, image.space, pack_write_options(options));
        } else {
          check_same_space(files.front(), *first_space, file, image.space,
                           options.tolerance_mm.value_or(default_tolerance_mm(*first_space)),
                           shifted);
        }
        Label label = label_from_extensions(image, file.path.string(), file.name);
        const std::string file_name = file.path.filename().string();
        if (folder_case && folder_case->members.count(file_name) != 0) {
          groups.push_back({file.path.string(), file.name, folder_case->members.at(file_name),
                            std::move(label), std::move(image.volume)});
          return;
        }
        const bool listed = folder_case && folder_case->position.count(file_name) != 0;
        if (listed && folder_case->value.count(file_name) != 0) {
          label.value = folder_case->value.at(file_name);
        }
        // A structure labels.json lists stays a structure, even when it equals a union.
        archive->add_structure(file.name, image.volume, label, !listed);
      },
      nifti_options);
  for (const FolderGroup& group : groups) {
    try {
      archive->add_group(group.name, group.members, group.label);
    } catch (const ArgumentError& e) {
      throw ArgumentError(group.file + ": labels.json makes it a group: " + e.what(), group.file);
    }
    if (!same_voxels(archive->read_structure(group.name), group.voxels)) {
      throw ArgumentError(group.file +
                              ": its voxels differ from the union of the members labels.json "
                              "gives it; remove its \"members\" there to pack it as a structure",
                          group.file);
    }
  }

  const Clock::time_point write_start = Clock::now();
  archive.commit();
  const double write_s = std::chrono::duration<double>(Clock::now() - write_start).count();
  const double total_s = std::chrono::duration<double>(Clock::now() - start).count();

  if (options.quiet) return;
  file_warnings.print();
  if (shifted.count > 0) {
    const double voxels = shifted.worst_mm / smallest_spacing_mm(*first_space);
    print_warning(std::to_string(shifted.count) + " input(s) lie on a grid other than " +
                  files.front().path.string() + "'s, within the tolerance; stored on its grid; " +
                  "the farthest, " + shifted.worst_file + ", puts a corner voxel " +
                  format_mm(shifted.worst_mm) + " mm away (" + format_mm(voxels) + " voxel(s)" +
                  (shifted.worst_mm > max_suggested_tolerance_mm(*first_space)
                       ? ": its voxels move, check its registration)"
                       : ")"));
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
      "pack",
      "Pack a case into one archive: binary NIfTI masks (files or folders of .nii/.nii.gz), or "
      "one multi-label NIfTI, .seg.nrrd, .npy/.npz or original medmask .msk/.mska file");
  cmd->add_option("inputs", options->inputs,
                  "NIfTI masks or folders of them (sorted by name), or one file of another kind")
      ->required();
  cmd->add_option("-o,--output", options->output, "archive to write (.mska)")->required();
  add_level_option(*cmd, options->level);
  CLI::Option* own = cmd->add_flag(
      "--layer-per-structure", options->layer_per_structure,
      "give every non-empty structure a label map of its own, so that reading one structure "
      "decodes only it (the default except at --level max)");
  cmd->add_flag("--shared-layers", options->shared_layers,
                "pack structures into as few label maps as overlap allows: the smallest file at "
                "--level max (its default), slower to read one structure")
      ->excludes(own);
  cmd->add_option("--tolerance", options->tolerance_mm,
                  "largest distance (mm) between where two inputs put a corner voxel; default: a "
                  "tenth of the smallest voxel spacing")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("-q,--quiet", options->quiet, "print nothing on success");
  cmd->add_option("--nifti-affine", options->nifti_affine,
                  "NIfTI geometry: auto (nibabel: sform if its code is set, else qform), sform "
                  "or qform; default: auto")
      ->check(CLI::IsMember({"auto", "sform", "qform"}));
  SourceOptions& source = options->source;
  cmd->add_option("--labels", source.labels_file,
                  "names of a label map's values: JSON, CSV, ITK-SNAP or Slicer colour table")
      ->check(CLI::ExistingFile);
  cmd->add_flag("--nonzero-inside", source.nonzero_inside,
                "mask files: every non-zero value is inside (masks written as 0/255), also for a "
                "single file, which then stays one structure");
  cmd->add_flag("--allow-unnamed", source.allow_unnamed,
                "store values missing from --labels as label_<value> instead of failing");
  cmd->add_option("--space-from", source.space_from,
                  "NumPy input: take the geometry of this NIfTI or .seg.nrrd")
      ->check(CLI::ExistingFile);
  cmd->add_option("--origin", source.origin, "NumPy input: LPS centre of voxel (0,0,0), x,y,z mm")
      ->delimiter(',')
      ->expected(3);
  cmd->add_option("--spacing", source.spacing, "NumPy input: voxel size x,y,z in mm")
      ->delimiter(',')
      ->expected(3);
  cmd->add_option("--direction", source.direction,
                  "NumPy input: x, y and z axis directions in LPS, 9 numbers; default identity")
      ->delimiter(',')
      ->expected(9);
  cmd->callback([options] {
    options->source.nifti_affine = affine_source(options->nifti_affine);
    run_pack(*options);
  });
}

}  // namespace medmask::cli
