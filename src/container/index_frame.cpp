#include "container/index_frame.hpp"

#include "container/format_constants.hpp"
#include "container/zstd_section.hpp"

namespace medmask::container {

std::vector<std::uint8_t> compress_index(const std::string& text, int zstd_level) {
  return zstd_compress(text.data(), text.size(), zstd_level, index_dictionary());
}

std::string decompress_index(std::span<const std::uint8_t> frame, std::uint64_t raw_length,
                             std::uint32_t required_features, const std::string& path,
                             std::uint64_t offset) {
  std::string text(static_cast<std::size_t>(raw_length), '\0');
  const bool with_dictionary = (required_features & kFeatureIndexDictionary) != 0;
  zstd_decompress_exact(frame, text.data(), text.size(), path, "index section", offset,
                        with_dictionary ? index_dictionary() : std::span<const std::uint8_t>{});
  return text;
}

}  // namespace medmask::container
