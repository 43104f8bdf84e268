// structure_file_name.cpp: when a structure name may become a file name (medmask/export.hpp).
#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <string_view>

#include "medmask/error.hpp"
#include "medmask/export.hpp"

namespace medmask {

namespace {

// Device names Windows reserves in every folder, with any extension ("con.nii.gz" too).
bool reserved_on_windows(const std::string& name) {
  std::string stem = name.substr(0, name.find('.'));
  std::transform(stem.begin(), stem.end(), stem.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  constexpr std::array<std::string_view, 4> kDevices = {"con", "prn", "aux", "nul"};
  if (std::find(kDevices.begin(), kDevices.end(), stem) != kDevices.end()) return true;
  return stem.size() == 4 && (stem.starts_with("com") || stem.starts_with("lpt")) &&
         stem[3] >= '1' && stem[3] <= '9';
}

}  // namespace

void check_structure_file_name(const std::string& name) {
  const bool leaves_folder =
      name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos ||
      name.find('\\') != std::string::npos || name.find('\0') != std::string::npos;
  if (leaves_folder || reserved_on_windows(name)) {
    throw ArgumentError("structure name '" + name +
                        "' cannot be used as a file name; export it with another format or "
                        "rename it");
  }
}

}  // namespace medmask
