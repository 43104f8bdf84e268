// container/format_constants.hpp: the fixed numbers of the .mska format (docs/FORMAT.md).
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace medmask::container {

// FORMAT.md 3: PNG-style signature; the 0x89 byte and the CR LF / ^Z / LF sequence reveal 7-bit
// transfers and text-mode newline conversion.
inline constexpr std::array<std::uint8_t, 8> kMagic = {0x89, 'M', 'S', 'K', '\r', '\n', 0x1A, '\n'};
inline constexpr std::uint16_t kVersionMajor = 1;
inline constexpr std::uint16_t kVersionMinor = 3;
// FORMAT.md 3: must-understand features. Bit 0 (since 1.2): a structure may have parts in several
// layer entries; a reader unaware of it would return only one part.
inline constexpr std::uint32_t kFeatureSplitStructures = 1u << 0;
// Bit 1 (since 1.2): the index frame is compressed with the index dictionary (FORMAT.md
// Appendix B), which makes the names of common structures nearly free.
inline constexpr std::uint32_t kFeatureIndexDictionary = 1u << 1;
// Bit 2 (since 1.3): a layer may be coded against an earlier layer (FORMAT.md 4.3.3); a reader
// unaware of it could not decode its tiles.
inline constexpr std::uint32_t kFeatureLayerReferences = 1u << 2;
inline constexpr std::uint32_t kKnownRequiredFeatures =
    kFeatureSplitStructures | kFeatureIndexDictionary | kFeatureLayerReferences;
inline constexpr std::uint64_t kHeaderSize = 64;

// FORMAT.md 3: byte offsets of the header fields.
inline constexpr std::size_t kOffsetVersionMajor = 8;
inline constexpr std::size_t kOffsetVersionMinor = 10;
inline constexpr std::size_t kOffsetRequiredFeatures = 12;
inline constexpr std::size_t kOffsetIndexOffset = 16;
inline constexpr std::size_t kOffsetIndexLength = 24;
inline constexpr std::size_t kOffsetIndexRawLength = 32;
inline constexpr std::size_t kOffsetFileLength = 40;
inline constexpr std::size_t kOffsetIndexXxh3 = 48;
inline constexpr std::size_t kOffsetHeaderXxh3 = 56;

// FORMAT.md 4: index JSON constants.
inline constexpr std::string_view kFormatName = "mska";
inline constexpr std::string_view kCodingZstd = "zstd";
inline constexpr std::string_view kCodingMedmaskCm = "medmask-cm1";
// Since 1.3: the chunk streams of "medmask-cm1", each z-chunk cut into y/x tiles (FORMAT.md 5.3).
inline constexpr std::string_view kCodingMedmaskTiles = "medmask-cm1-tiles";
inline constexpr std::string_view kKindMask = "mask";
inline constexpr std::string_view kKindLayer = "layer";

}  // namespace medmask::container
