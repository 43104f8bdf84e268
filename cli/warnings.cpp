// cli/warnings.cpp: warnings on stderr.
#include "warnings.hpp"

#include <iostream>

#include "flag_hints.hpp"

namespace medmask::cli {

void print_warning(const std::string& message) {
  std::string line = with_flag_hint(message);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  std::cout.flush();
  std::cerr << "medmask: warning: " << line << '\n';
}

void print_warnings(const std::vector<std::string>& messages) {
  for (const std::string& message : messages) print_warning(message);
}

void FileWarnings::add(const std::string& file, const std::vector<std::string>& warnings) {
  if (warnings.empty()) return;
  if (files_with_warnings_++ < files_in_full_) {
    for (const std::string& warning : warnings) shown_.push_back(file + ": " + warning);
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
