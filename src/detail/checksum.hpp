// detail/checksum.hpp: XXH3-64 (seed 0) of byte ranges, and its fixed text form in the index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace medmask::detail {

// XXH3_64bits with seed 0, as libxxhash computes it.
std::uint64_t xxh3_64(const void* data, std::size_t size) noexcept;

// 16 lowercase hexadecimal digits, most significant first (as xxhsum -H3 prints).
std::string hex64(std::uint64_t value);
// Inverse of hex64: exactly 16 hexadecimal digits (either case); nullopt otherwise.
std::optional<std::uint64_t> parse_hex64(std::string_view text) noexcept;

}  // namespace medmask::detail
