// cli/warnings.hpp: warnings on stderr, one line each (`medmask: warning: ...`).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "medmask/warning.hpp"

namespace medmask::cli {

// The CLI's own warning.
void print_warning(const std::string& message);
// The library's warnings: their texts, each with the flag that answers its kind, if one does.
void print_warnings(const Warnings& warnings);

// Warnings of many input files: the first few files' in full, then one line counting the rest,
// so that a folder of 117 files with the same problem does not flood the terminal.
class FileWarnings {
 public:
  explicit FileWarnings(std::size_t files_in_full = 3) : files_in_full_(files_in_full) {}
  void add(const std::string& file, const Warnings& warnings);
  void print() const;

 private:
  std::size_t files_in_full_;
  Warnings shown_;
  std::size_t files_with_warnings_ = 0;
  std::size_t hidden_ = 0;
};

}  // namespace medmask::cli
