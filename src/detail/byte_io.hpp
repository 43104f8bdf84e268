// detail/byte_io.hpp: little-endian loads and stores of fixed-width integers, independent of the
// host's byte order (every MedMask file is little-endian).
#pragma once

#include <cstddef>
#include <cstdint>

namespace medmask::detail {

template <class T>
T load_le(const std::uint8_t* bytes) noexcept {
  T value = 0;
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    value = static_cast<T>(value | static_cast<T>(static_cast<T>(bytes[i]) << (8 * i)));
  }
  return value;
}

template <class T>
void store_le(std::uint8_t* bytes, T value) noexcept {
  for (std::size_t i = 0; i < sizeof(T); ++i) {
    bytes[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i));
  }
}

inline std::uint16_t load_le16(const std::uint8_t* b) noexcept { return load_le<std::uint16_t>(b); }
inline std::uint32_t load_le32(const std::uint8_t* b) noexcept { return load_le<std::uint32_t>(b); }
inline std::uint64_t load_le64(const std::uint8_t* b) noexcept { return load_le<std::uint64_t>(b); }
inline void store_le16(std::uint8_t* b, std::uint16_t v) noexcept { store_le(b, v); }
inline void store_le32(std::uint8_t* b, std::uint32_t v) noexcept { store_le(b, v); }
inline void store_le64(std::uint8_t* b, std::uint64_t v) noexcept { store_le(b, v); }

}  // namespace medmask::detail
