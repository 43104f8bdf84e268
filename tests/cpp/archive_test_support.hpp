// archive_test_support.hpp: helpers shared by test_archive.cpp and test_archive_corrupt.cpp.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "container/header.hpp"
#include "container/index_frame.hpp"
#include "medmask/archive.hpp"
#include "medmask/error.hpp"
#include "temp_dir.hpp"

namespace medmask::testing {

// An oblique grid (30 degrees about z), anisotropic spacing, non-zero origin.
inline Space oblique_space(Shape3 shape_xyz) {
  const double c = std::cos(std::numbers::pi / 6), s = std::sin(std::numbers::pi / 6);
  Mat3 direction{{{c, -s, 0.0}, {s, c, 0.0}, {0.0, 0.0, 1.0}}};
  return Space(shape_xyz, {12.5, -40.25, 7.0}, {0.75, 0.8, 2.5}, direction);
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  // Removed first: ext4 flushes a file rewritten through O_TRUNC (auto_da_alloc), which is slow.
  std::filesystem::remove(path);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Options of the shared layout (structures packed into as few layers as overlap allows), for the
// tests of that packing: the default is a layer per structure (WriteOptions).
inline WriteOptions shared_layers(WriteOptions options = {}) {
  options.layer_per_structure = false;
  return options;
}

// A bool volume with an axis-aligned box [lo, hi] (inclusive, z y x) set.
inline LabelVolume box(const Shape3& shape_zyx, Shape3 lo, Shape3 hi) {
  LabelVolume volume(DType::kBool, shape_zyx);
  for (std::int64_t z = lo[0]; z <= hi[0]; ++z)
    for (std::int64_t y = lo[1]; y <= hi[1]; ++y)
      for (std::int64_t x = lo[2]; x <= hi[2]; ++x)
        volume.set(static_cast<std::size_t>((z * shape_zyx[1] + y) * shape_zyx[2] + x), 1);
  return volume;
}

// The index of an archive file, read with the header and index-frame modules only.
inline nlohmann::json read_index(const std::string& path) {
  const std::vector<std::uint8_t> file = read_bytes(path);
  const container::Header header = container::decode_header(file, file.size(), path, {});
  return nlohmann::json::parse(container::decompress_index(
      std::span(file).subspan(header.index_offset, header.index_length), header.index_raw_length,
      header.required_features, path, header.index_offset));
}

}  // namespace medmask::testing
