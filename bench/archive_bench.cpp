// archive_bench: the container on the sample case (examples/data/s0000, 117 TotalSegmentator
// masks), per codec level: file size, size with the 21 overlapping voxels discarded (the cost of
// keeping overlap exactly), write time (NIfTI reading excluded), and read times for every
// structure, for one structure, for a z-range and for a box of one structure. Prints a Markdown
// table and writes CSV.
//
//   archive_bench [--data examples/data/s0000] [--csv bench/results/archive_bench.csv]
//
// Times are the best of several runs, each on a freshly opened archive (no decoded chunk cached).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

#include "medmask/archive.hpp"
#include "medmask/nifti.hpp"

namespace {

using medmask::CompressionLevel;
using medmask::LabelVolume;
using medmask::MaskArchive;
using medmask::OpenMode;
using Clock = std::chrono::steady_clock;

struct Named {
  std::string name;
  LabelVolume volume;
};

double best_seconds(int runs, const std::function<void()>& work) {
  double best = 1e30;
  for (int i = 0; i < runs; ++i) {
    const auto start = Clock::now();
    work();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

// A cube of `side` voxels (clipped to the box) at the centre of a structure's bounding box: what
// a viewer or a patch loader asks for.
medmask::VoxelBox central_box(const medmask::LabelStats& stats, std::int64_t side) {
  medmask::ZRange axes[3];
  for (std::size_t a = 0; a < 3; ++a) {
    const std::int64_t centre = (stats.bbox_min_zyx[a] + stats.bbox_max_zyx[a]) / 2;
    axes[a].begin = std::max(stats.bbox_min_zyx[a], centre - side / 2);
    axes[a].end = std::min(stats.bbox_max_zyx[a] + 1, axes[a].begin + side);
  }
  return {axes[0], axes[1], axes[2]};
}

void write_archive(const std::string& path, const medmask::Space& space,
                   const std::vector<Named>& structures, CompressionLevel level) {
  medmask::WriteOptions options;
  options.level = level;
  MaskArchive archive(path, OpenMode::kWrite, space, options);
  for (const Named& s : structures) archive.add_structure(s.name, s.volume);
  archive.commit();
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "examples/data/s0000", csv_path = "bench/results/archive_bench.csv";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--data") data = argv[i + 1];
    if (flag == "--csv") csv_path = argv[i + 1];
  }
  std::vector<std::string> files;
  for (const auto& item : std::filesystem::directory_iterator(data)) {
    if (item.path().string().ends_with(".nii.gz")) files.push_back(item.path().string());
  }
  std::sort(files.begin(), files.end());
  std::vector<Named> exact, discarded;
  medmask::Space space;
  std::uint64_t nifti_bytes = 0;
  for (const std::string& file : files) {
    medmask::NiftiImage image = medmask::read_nifti(file);
    space = image.space;
    nifti_bytes += std::filesystem::file_size(file);
    const std::string stem = std::filesystem::path(file).filename().string();
    exact.push_back({stem.substr(0, stem.size() - 7), image.volume});
  }
  // The same case without overlap: a voxel already claimed by an earlier structure is dropped.
  LabelVolume taken(medmask::DType::kBool, space.shape_zyx());
  std::uint64_t dropped = 0;
  for (const Named& s : exact) {
    LabelVolume copy = s.volume.clone();
    for (std::size_t i = 0; i < copy.size(); ++i) {
      if (copy.get(i) == 0) continue;
      if (taken.get(i) != 0) {
        copy.set(i, 0);
        ++dropped;
      } else {
        taken.set(i, 1);
      }
    }
    discarded.push_back({s.name, std::move(copy)});
  }
  std::vector<std::string> names;
  for (const Named& s : exact) names.push_back(s.name);

  const auto temp = std::filesystem::temp_directory_path() / "medmask_archive_bench";
  std::filesystem::create_directories(temp);
  std::ofstream csv(csv_path);
  csv << "level,bytes,ratio_to_nifti,bytes_overlap_discarded,overlap_cost,write_s,read_all_s,"
         "read_one_s,read_one_vs_all,read_zrange_s,read_femur_s,read_femur_box_s\n";
  std::cout << "sample: " << files.size() << " .nii.gz, " << nifti_bytes << " bytes; " << dropped
            << " voxels belong to two structures\n\n"
            << "| level | bytes | ratio | overlap discarded | overlap cost | write s | read all "
               "117 s | read rib_right_12 s | one / all | read z 100..120 s | read femur_left s | "
               "its central 32^3 box s |\n"
            << "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  const std::vector<std::pair<std::string, CompressionLevel>> levels{
      {"fast", CompressionLevel::kFast},
      {"default", CompressionLevel::kDefault},
      {"max", CompressionLevel::kMax}};
  for (const auto& [label, level] : levels) {
    const std::string path = (temp / (label + ".mska")).string();
    const std::string path_discarded = (temp / (label + "_discarded.mska")).string();
    const double write_s = best_seconds(3, [&] { write_archive(path, space, exact, level); });
    write_archive(path_discarded, space, discarded, level);
    const auto bytes = std::filesystem::file_size(path);
    const auto bytes_discarded = std::filesystem::file_size(path_discarded);
    const double all_s = best_seconds(5, [&] {
      const MaskArchive archive(path, OpenMode::kRead);
      archive.read_each(names);
    });
    const double one_s = best_seconds(5, [&] {
      const MaskArchive archive(path, OpenMode::kRead);
      archive.read_structure("rib_right_12");
    });
    const double range_s = best_seconds(5, [&] {
      const MaskArchive archive(path, OpenMode::kRead);
      archive.read_structures(names, medmask::ZRange{100, 120});
    });
    const std::string femur[] = {"femur_left"};
    const double femur_s = best_seconds(5, [&] {
      const MaskArchive archive(path, OpenMode::kRead);
      archive.read_structures(femur);
    });
    const double femur_box_s = best_seconds(5, [&] {
      const MaskArchive archive(path, OpenMode::kRead);
      archive.read_box(femur, central_box(archive.structure("femur_left").stats, 32));
    });
    const double ratio = static_cast<double>(nifti_bytes) / static_cast<double>(bytes);
    const double cost = static_cast<double>(bytes) / static_cast<double>(bytes_discarded);
    std::cout << "| " << label << " | " << bytes << " | " << ratio << ":1 | " << bytes_discarded
              << " | " << cost << "x | " << write_s << " | " << all_s << " | " << one_s << " | "
              << one_s / all_s << " | " << range_s << " | " << femur_s << " | " << femur_box_s
              << " |\n";
    csv << label << ',' << bytes << ',' << ratio << ',' << bytes_discarded << ',' << cost << ','
        << write_s << ',' << all_s << ',' << one_s << ',' << one_s / all_s << ',' << range_s << ','
        << femur_s << ',' << femur_box_s << '\n';
  }
  std::filesystem::remove_all(temp);
  return 0;
}
