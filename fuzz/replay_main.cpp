// fuzz/replay_main.cpp: runs a fuzz target's LLVMFuzzerTestOneInput over files, without libFuzzer.
//
// Built by default (any compiler) so that `make test` replays every seed corpus and regression
// file: usage `fuzz_replay_<target> <file or folder>...` (folders are walked recursively).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::filesystem::path> files_under(const std::filesystem::path& root) {
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_regular_file(root)) return {root};
  for (const auto& item : std::filesystem::recursive_directory_iterator(root))
    if (item.is_regular_file()) files.push_back(item.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t replayed = 0;
  for (int i = 1; i < argc; ++i) {
    if (!std::filesystem::exists(argv[i])) {
      std::cerr << "no such file or folder: " << argv[i] << '\n';
      return 2;
    }
    for (const std::filesystem::path& file : files_under(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
      std::cerr << "replay " << file.string() << '\n';  // names the file if it crashes
      LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
      ++replayed;
    }
  }
  std::cout << "replayed " << replayed << " files\n";
  return replayed > 0 ? 0 : 2;
}
