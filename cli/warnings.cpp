// cli/warnings.cpp: warnings on stderr.
#include "warnings.hpp"

#include <iostream>

#include "flag_hints.hpp"

namespace medmask::cli {

void print_warning(const std::string& message) {
  std::string line = message;
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cout.flush();
  std::cerr << "medmask: warning: " << line << '\n';
}

void print_warnings(const Warnings& warnings) {
  for (const Warning& warning : warnings) print_warning(with_flag_hint(warning));
}

void FileWarnings::add(const std::string& file, const Warnings& warnings) {
  if (warnings.empty()) return;
  if (files_with_warnings_++ < files_in_full_) {
    for (const Warning& warning : warnings)
      shown_.push_back({warning.kind, file + ": " + warning.text});
  } else {
    hidden_ += warnings.size();
  }
}

void FileWarnings::print() const {
  print_warnings(shown_);
  if (hidden_ > 0) {
    print_warning(std::to_string(hidden_) + " more warning(s) about " +
                  std::to_string(files_with_warnings_ - files_in_full_) +
                  " more file(s) not shown");
  }
}

}  // namespace medmask::cli
