// cli/text.hpp: small text formatting helpers for the tool's tables.
#pragma once

#include <array>
#include <cstdint>
#include <string>

namespace medmask::cli {

// 5367103 -> "5,367,103".
std::string with_commas(std::uint64_t value);
// Fixed-point text with `decimals` digits after the point.
std::string fixed(double value, int decimals);
// "(a, b, c)" with each value in fixed(.., decimals).
std::string triple(const std::array<double, 3>& values, int decimals);
// Right- or left-aligned in a column of `width` characters (never truncated).
std::string right(const std::string& text, std::size_t width);
std::string left(const std::string& text, std::size_t width);

}  // namespace medmask::cli
