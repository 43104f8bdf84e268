// cli/inputs.cpp: finding the NIfTI inputs and reading them on worker threads in input order.
#include "inputs.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "commands.hpp"
#include "medmask/error.hpp"

namespace medmask::cli {
namespace fs = std::filesystem;

namespace {

bool ends_with_nocase(const std::string& text, const std::string& suffix) {
  if (text.size() < suffix.size()) return false;
  return std::equal(suffix.begin(), suffix.end(),
                    text.end() - static_cast<std::ptrdiff_t>(suffix.size()), [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

bool is_nifti_name(const fs::path& path) {
  const std::string name = path.filename().string();
  return ends_with_nocase(name, ".nii.gz") || ends_with_nocase(name, ".nii");
}

std::uint64_t size_of(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) throw IoError(path.string() + ": cannot get file size: " + ec.message(), path.string());
  return static_cast<std::uint64_t>(size);
}

// Names the file in an error that came without it, keeping the error's kind.
[[noreturn]] void rethrow_naming(const fs::path& path, std::exception_ptr error) {
  const std::string where = path.string();
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.find(where) != std::string::npos) throw;
    throw Error(e.code(), where + ": " + what, where, e.offset(), e.remedy());
  } catch (const std::exception& e) {
    throw IoError(where + ": " + e.what(), where);
  }
}

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

std::string structure_name(const fs::path& path) {
  std::string name = path.filename().string();
  for (const char* suffix : {".nii.gz", ".nii"}) {
    const std::string s = suffix;
    if (ends_with_nocase(name, s)) return name.substr(0, name.size() - s.size());
  }
  return name;
}

void require_output_folder(const std::string& output) {
  const fs::path folder = fs::path(output).parent_path();
  std::error_code ec;
  if (!folder.empty() && !fs::is_directory(folder, ec)) {
    throw IoError(output + ": cannot write it: folder " + folder.string() + " does not exist",
                  output);
  }
}

std::vector<InputFile> find_inputs(const std::vector<std::string>& arguments) {
  std::vector<InputFile> files;
  for (const std::string& argument : arguments) {
    const fs::path path(argument);
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      throw IoError(argument + ": no such file or directory", argument);
    }
    if (!fs::is_directory(status)) {
      files.push_back({path, structure_name(path), size_of(path)});
      continue;
    }
    std::vector<fs::path> found;
    for (const fs::directory_entry& entry : fs::directory_iterator(path)) {
      if (entry.is_regular_file() && is_nifti_name(entry.path())) found.push_back(entry.path());
    }
    if (found.empty()) {
      throw ArgumentError(argument + ": folder holds no .nii or .nii.gz files", argument);
    }
    std::sort(found.begin(), found.end(),
              [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
    for (const fs::path& file : found) files.push_back({file, structure_name(file), size_of(file)});
  }
  if (files.empty()) throw ArgumentError("no input files");

  std::map<std::string, const InputFile*> seen;
  for (const InputFile& file : files) {
    if (file.name.empty()) throw ArgumentError(file.path.string() + ": empty structure name");
    const auto [it, inserted] = seen.emplace(file.name, &file);
    if (!inserted) {
      throw ArgumentError("structure name '" + file.name + "' given by two files: " +
                          it->second->path.string() + " and " + file.path.string());
    }
  }
  return files;
}

namespace {

std::string shape_text(const Shape3& shape_xyz) {
  return std::to_string(shape_xyz[0]) + " x " + std::to_string(shape_xyz[1]) + " x " +
         std::to_string(shape_xyz[2]);
}

}  // namespace

double smallest_spacing_mm(const Space& space) {
  const auto& spacing = space.spacing_mm();
  return std::min({spacing[0], spacing[1], spacing[2]});
}

double default_tolerance_mm(const Space& space) {
  return kDefaultToleranceVoxels * smallest_spacing_mm(space);
}

double max_suggested_tolerance_mm(const Space& space) {
  return kMaxSuggestedToleranceVoxels * smallest_spacing_mm(space);
}

std::string format_mm(double mm) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", mm);
  return text;
}

std::string space_difference(const Space& a, const Space& b, double tolerance_mm) {
  if (a.shape_xyz() != b.shape_xyz()) {
    return "shape (x, y, z) " + shape_text(a.shape_xyz()) + " vs " + shape_text(b.shape_xyz());
  }
  char text[128];
  std::snprintf(text, sizeof text, "corner voxels up to %.6g mm apart (tolerance %g mm)",
                a.max_corner_distance_mm(b), tolerance_mm);
  return text;
}

unsigned reader_threads(std::size_t file_count) {
  const std::size_t hardware = std::max(1u, std::thread::hardware_concurrency());
  return static_cast<unsigned>(std::max<std::size_t>(1, std::min(hardware, file_count)));
}

namespace {

// State shared by the reader threads and the consumer. Guarded by mutex.
struct Pipeline {
  struct Slot {
    std::optional<NiftiImage> image;
    std::exception_ptr error;
    bool done = false;
  };

  explicit Pipeline(std::size_t count, std::size_t window_size)
      : slots(count), window(window_size) {}

  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Slot> slots;
  std::size_t window;  // how far readers may run ahead of the consumer
  std::size_t next_to_read = 0;
  std::size_t next_to_consume = 0;
  bool stop = false;
  Clock::time_point last_read_done{};
};

void read_worker(Pipeline& p, const std::vector<InputFile>& files,
                 const NiftiReadOptions& options) {
  for (;;) {
    std::size_t index = 0;
    {
      std::unique_lock lock(p.mutex);
      p.changed.wait(lock, [&] {
        return p.stop || p.next_to_read >= files.size() ||
               p.next_to_read < p.next_to_consume + p.window;
      });
      if (p.stop || p.next_to_read >= files.size()) return;
      index = p.next_to_read++;
    }
    std::optional<NiftiImage> image;
    std::exception_ptr error;
    try {
      image = read_nifti(files[index].path.string(), options, read_limits());
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard lock(p.mutex);
      p.slots[index].image = std::move(image);
      p.slots[index].error = error;
      p.slots[index].done = true;
      p.last_read_done = Clock::now();
    }
    p.changed.notify_all();
  }
}

// Stops and joins the readers however the consumer leaves (return or exception).
class Workers {
 public:
  Workers(Pipeline& p, const std::vector<InputFile>& files, const NiftiReadOptions& options,
          unsigned count)
      : p_(p) {
    for (unsigned i = 0; i < count; ++i)
      threads_.emplace_back(read_worker, std::ref(p), std::cref(files), std::cref(options));
  }
  ~Workers() {
    {
      std::lock_guard lock(p_.mutex);
      p_.stop = true;
    }
    p_.changed.notify_all();
    for (std::thread& t : threads_) t.join();
  }
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

 private:
  Pipeline& p_;
  std::vector<std::thread> threads_;
};

}  // namespace

ReadTiming read_inputs_in_order(const std::vector<InputFile>& files, unsigned threads,
                                const std::function<void(std::size_t, NiftiImage&)>& consume,
                                const NiftiReadOptions& options) {
  const Clock::time_point start = Clock::now();
  threads = std::max(1u, threads);
  Pipeline p(files.size(), std::size_t{2} * threads);
  p.last_read_done = start;
  ReadTiming timing;
  {
    Workers workers(p, files, options, threads);
    for (std::size_t i = 0; i < files.size(); ++i) {
      std::optional<NiftiImage> image;
      std::exception_ptr error;
      {
        std::unique_lock lock(p.mutex);
        p.changed.wait(lock, [&] { return p.slots[i].done; });
        image = std::move(p.slots[i].image);
        error = p.slots[i].error;
        p.slots[i] = {};
        p.next_to_consume = i + 1;
      }
      p.changed.notify_all();
      if (error) rethrow_naming(files[i].path, error);
      const Clock::time_point consume_start = Clock::now();
      consume(i, *image);
      timing.consume_seconds += seconds_since(consume_start);
    }
  }
  timing.read_seconds = std::chrono::duration<double>(p.last_read_done - start).count();
  return timing;
}

}  // namespace medmask::cli
