// The names of codings and levels as the index stores them (docs/FORMAT.md 4.3, 4.3.1); every
// other spelling of them (CLI, Python, cmd_info) goes through these functions.
#include <array>
#include <utility>

#include "container/format_constants.hpp"
#include "medmask/archive.hpp"

namespace medmask {

namespace {

constexpr std::array<std::pair<Coding, std::string_view>, 3> kCodingNames{{
    {Coding::kZstd, container::kCodingZstd},
    {Coding::kMedmaskCm, container::kCodingMedmaskCm},
    {Coding::kMedmaskTiles, container::kCodingMedmaskTiles},
}};

constexpr std::array<std::pair<CompressionLevel, std::string_view>, 3> kLevelNames{{
    {CompressionLevel::kFast, "fast"},
    {CompressionLevel::kDefault, "default"},
    {CompressionLevel::kMax, "max"},
}};

template <typename Enum, std::size_t N>
std::string_view name_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                         Enum value) noexcept {
  for (const auto& [known, name] : names) {
    if (known == value) return name;
  }
  return {};  // unreachable for a valid enumerator
}

template <typename Enum, std::size_t N>
std::optional<Enum> value_of(const std::array<std::pair<Enum, std::string_view>, N>& names,
                             std::string_view name) noexcept {
  for (const auto& [value, known] : names) {
    if (known == name) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view coding_name(Coding coding) noexcept { return name_of(kCodingNames, coding); }

std::optional<Coding> coding_from_name(std::string_view name) noexcept {
  return value_of(kCodingNames, name);
}

std::string_view compression_level_name(CompressionLevel level) noexcept {
  return name_of(kLevelNames, level);
}

std::optional<CompressionLevel> compression_level_from_name(std::string_view name) noexcept {
  return value_of(kLevelNames, name);
}

}  // namespace medmask
