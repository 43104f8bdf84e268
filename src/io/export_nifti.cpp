// Exports to NIfTI: a folder of binary masks, or one multi-label image (export.hpp).
#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <set>
#include <thread>

#include "geometry/space_json.hpp"
#include "io/export_layers.hpp"
#include "io/export_targets.hpp"
#include "medmask/error.hpp"
#include "medmask/nifti.hpp"

namespace medmask::io {

namespace {

namespace fs = std::filesystem;

NiftiWriteOptions write_options(const ExportOptions& options, const LabelTable& labels) {
  NiftiWriteOptions out;
  out.gzip_level = options.gzip_level;
  out.xform_code = options.nifti_xform_code;
  out.extensions = label_table_extensions(labels);
  return out;
}

constexpr unsigned kMaxWriterThreads = 4;

// The one-label table of a binary mask file: the structure's label with value 1.
LabelTable single_label(const StructureInfo& info, const std::string& name) {
  Label label = info.label;
  label.name = name;
  label.value = 1;
  LabelTable table;
  table.add(std::move(label));
  return table;
}

// "case.nii.gz" -> "case"; the caller has checked the ending.
std::string without_nifti_ending(const std::string& path) {
  const std::size_t cut = ends_with_nocase(path, ".nii.gz") ? 7 : 4;
  return path.substr(0, path.size() - cut);
}

std::string nifti_ending(const std::string& path) {
  return path.substr(without_nifti_ending(path).size());
}

// What every file of a multi-label export adds to MedMask's label JSON (extension and sidecar),
// so that pack gives the case back: the structures' order across the files and the groups.
struct CaseExtras {
  nlohmann::json order = nlohmann::json::array();
  nlohmann::json groups = nlohmann::json::array();
};

void write_label_map(const Space& space, const ExportLayer& layer, const std::string& path,
                     const ExportOptions& options, const CaseExtras& extras, ExportResult& result) {
  const DType dtype = dtype_for_max_value(layer.labels.max_value());
  const LabelVolume volume =
      layer.volume.dtype() == dtype ? layer.volume : layer.volume.converted(dtype);
  NiftiWriteOptions nifti = write_options(options, layer.labels);
  for (NiftiExtension& extension : nifti.extensions) {
    if (extension.code != kNiftiEcodeComment) continue;
    nlohmann::json json = nlohmann::json::parse(extension.data);
    json["order"] = extras.order;
    json["groups"] = extras.groups;
    extension.data = json.dump();
  }
  write_nifti(path, volume, space, nifti);
  result.files.push_back(path);
  nlohmann::json labels = nlohmann::json::array();
  for (const Label& label : layer.labels) labels.push_back(label_json(label));
  const std::string sidecar = without_nifti_ending(path) + ".json";
  write_text_file(sidecar,
                  nlohmann::json{{"labels", labels},
                                 {"groups", extras.groups},
                                 {"space", space_to_json(space, detail::DirectionSpelling::kRows)}}
                      .dump(2));
  result.files.push_back(sidecar);
}

}  // namespace

void export_nifti_dir(const MaskArchive& archive, const std::string& folder,
                      const ExportOptions& options, ExportResult& result) {
  const Selection selection = select_structures(archive, options.names);
  std::vector<std::string> names = selection.structures;
  names.insert(names.end(), selection.groups.begin(), selection.groups.end());
  for (const std::string& name : names) check_structure_file_name(name);
  std::error_code ec;
  fs::create_directories(folder, ec);
  if (ec || !fs::is_directory(folder)) {
    throw IoError(folder + ": cannot create folder: " +
                      (ec ? ec.message() : std::string("a file of that name exists")),
                  folder);
  }
  // Files are written on several threads: gzip and fsync dominate, and const archive reads are
  // thread-safe. Each thread holds one mask and its file at a time.
  const Shape3 shape = archive.space().shape_zyx();
  std::vector<std::string> paths(names.size());
  std::vector<std::exception_ptr> errors(names.size());
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < names.size(); i = next++) {
      try {
        const StructureInfo& info = archive.structure(names[i]);
        LabelVolume binary(DType::kUInt8, shape);
        if (info.stats.voxels > 0) {
          binary = archive.read_structure(names[i]);  // bool is written as uint8 0/1
        }
        paths[i] = (fs::path(folder) / (names[i] + ".nii.gz")).string();
        write_nifti(paths[i], binary, archive.space(),
                    write_options(options, single_label(info, names[i])));
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const unsigned threads =
      std::clamp<unsigned>(std::thread::hardware_concurrency(), 1, kMaxWriterThreads);
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& thread : pool) thread.join();
  nlohmann::json structures = nlohmann::json::array();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (errors[i]) std::rethrow_exception(errors[i]);
    result.files.push_back(paths[i]);
    const StructureInfo& info = archive.structure(names[i]);
    nlohmann::json item = label_json(single_label(info, names[i]).labels().front(), false);
    item["file"] = names[i] + ".nii.gz";
    if (info.is_group()) {
      item["members"] = info.members;
    } else {
      item["value"] = info.value;  // the archive's, which pack gives back
    }
    structures.push_back(std::move(item));
  }
  const std::string sidecar = (fs::path(folder) / "labels.json").string();
  write_text_file(
      sidecar,
      nlohmann::json{{"structures", structures},
                     {"space", space_to_json(archive.space(), detail::DirectionSpelling::kRows)}}
          .dump(2));
  result.files.push_back(sidecar);
}

void export_nifti_multilabel(const MaskArchive& archive, const std::string& path,
                             const ExportOptions& options, ExportResult& result) {
  if (!ends_with_nocase(path, ".nii.gz") && !ends_with_nocase(path, ".nii")) {
    throw ArgumentError(path + ": a multi-label NIfTI must end in .nii.gz or .nii", path);
  }
  const Selection selection = select_structures(archive, options.names);
  std::vector<std::string> names = selection.structures;
  // A group is written as a definition when its members are written too (a label map cannot
  // hold a union of its own labels), else as voxels.
  CaseExtras extras;
  std::set<std::string> written(names.begin(), names.end());
  for (const std::string& group : selection.groups) {
    const StructureInfo& info = archive.structure(group);
    if (std::all_of(info.members.begin(), info.members.end(),
                    [&](const std::string& member) { return written.count(member) != 0; })) {
      Label label = info.label;
      label.name = group;
      nlohmann::json item = label_json(label, false);
      item["members"] = info.members;
      extras.groups.push_back(std::move(item));
      written.insert(group);
    } else {
      names.push_back(group);
    }
  }
  for (const std::string& name : names) extras.order.push_back(name);
  const std::vector<ExportLayer> layers =
      pack_for_export(archive, names, Packing::kFirstFit, result.warnings);
  if (layers.empty()) throw ArgumentError(archive.path() + ": no structures to export");
  if (layers.size() == 1) {
    write_label_map(archive.space(), layers[0], path, options, extras, result);
    return;
  }
  if (!options.split_layers) {
    throw ArgumentError(path + ": a multi-label NIfTI cannot hold overlapping structures: " +
                            overlap_description(layers[0], layers[1]) +
                            "; export to seg.nrrd or npz, select structures without overlap, or "
                            "split the layers into one file each",
                        path);
  }
  for (std::size_t i = 0; i < layers.size(); ++i) {
    write_label_map(archive.space(), layers[i],
                    without_nifti_ending(path) + "_layer" + std::to_string(i) + nifti_ending(path),
                    options, extras, result);
  }
}

}  // namespace medmask::io
