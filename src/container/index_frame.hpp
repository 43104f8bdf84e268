// container/index_frame.hpp: the index section, one zstd frame of the index JSON (FORMAT.md 4),
// compressed with the index dictionary when required feature bit 1 is set (Appendix B).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace medmask::container {

// The bytes of docs/index_dictionary_v1.txt, built into the library.
std::span<const std::uint8_t> index_dictionary();

// The index frame of text; 1.2 writers always use the dictionary (feature bit 1).
std::vector<std::uint8_t> compress_index(const std::string& text, int zstd_level);

// Inverse, for a header with required_features. Throws FormatError naming the index section.
std::string decompress_index(std::span<const std::uint8_t> frame, std::uint64_t raw_length,
                             std::uint32_t required_features, const std::string& path,
                             std::uint64_t offset);

}  // namespace medmask::container
