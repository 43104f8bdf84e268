// medmask/archive.hpp: MaskArchive, one .mska file holding many structures of one case.
//
// An archive has one Space and a list of named entries; each entry is a SegmentationMask (a label
// map with its LabelTable). Structure names are unique across the whole archive, so a reader asks
// for a structure by name and never needs to know which entry holds it.
//
// Two ways to fill an archive:
// - add_mask(entry, mask): store a ready label map as one entry (the original medmask API);
// - add_structure(name, binary): store one structure; the writer packs structures into as few
//   mutually exclusive label maps ("layers", entries named "layer<N>") as it can, so overlapping
//   structures are kept exactly.
//
// Writing is atomic: changes are kept in memory and commit() (or the destructor) writes a
// temporary file next to the target and renames it over the target, so a crash never leaves a
// half-written archive and never loses what the file held before.
// Thread safety: const member functions may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "medmask/mask.hpp"

namespace medmask {

enum class OpenMode { kRead, kWrite, kAppend };

// One structure as the archive index describes it (no voxel data is read to produce this).
struct StructureInfo {
  std::string name;
  std::string entry;  // the entry (layer) holding it
  std::uint32_t value = 0;
  Label label;       // name, value, colour, description, coded concept
  LabelStats stats;  // voxel count and bounding box in (z, y, x)
  double volume_mm3 = 0.0;
};

// How entries' label maps are stored (docs/FORMAT.md 5).
enum class Coding {
  kZstd,       // "zstd": the raw voxels as one zstd frame (any format 1.x reader)
  kMedmaskCm,  // "medmask-cm1": z-chunks coded by the MedMask label codec (readers >= 1.1)
};

// Effort of the MedMask codec: kFast encodes and decodes quickest, kMax gives the smallest files.
// Readers never need to know the level.
enum class CompressionLevel { kFast, kDefault, kMax };

struct WriteOptions {
  int zstd_level = 19;  // zstd level of the index, and of data sections coded kZstd
  Coding coding = Coding::kMedmaskCm;
  CompressionLevel level = CompressionLevel::kDefault;  // for kMedmaskCm
  std::uint32_t chunk_depth = 64;  // slices per independent z-chunk (kMedmaskCm), >= 1
};

// One entry as the archive index describes it (no voxel data is read to produce this).
struct EntryInfo {
  std::string name;
  DType dtype = DType::kUInt8;
  // coding: "zstd", "medmask-cm1" or one this reader does not know; level: "fast", "default" or
  // "max" for medmask-cm1, else empty; stored_bytes: size of the data section. A layer changed
  // since the last commit is coded only at commit: until then coding and level are empty and
  // stored_bytes is 0.
  std::string coding;
  std::string level;
  std::uint64_t stored_bytes = 0;
};

class MaskArchive {
 public:
  // kRead: reads the header and index (no voxel data); Throws IoError, FormatError,
  //        UnsupportedError, LimitError. space must be empty.
  // kWrite: starts an empty archive (the file is replaced on commit); space is required.
  // kAppend: like kRead, then allows adding; if the file does not exist, like kWrite.
  MaskArchive(std::string path, OpenMode mode, std::optional<Space> space = std::nullopt,
              WriteOptions options = {});
  ~MaskArchive();  // commits pending changes; errors there are swallowed: call commit() first
  MaskArchive(MaskArchive&&) noexcept;
  MaskArchive& operator=(MaskArchive&&) noexcept;

  const std::string& path() const noexcept;
  OpenMode mode() const noexcept;
  const Space& space() const noexcept;

  // Entries.
  // Throws ArgumentError if the entry name exists, the space differs from the archive's, a
  // structure name already exists in another entry, or the archive is read-only.
  void add_mask(const std::string& entry_name, const SegmentationMask& mask);
  // Throws NotFoundError for an unknown entry, FormatError for corrupt data.
  SegmentationMask load_mask(const std::string& entry_name) const;
  std::vector<std::string> entry_names() const;
  std::vector<EntryInfo> entries() const;

  // Structures.
  // binary: non-zero = inside, shape == space().shape_zyx(). value 0 picks the next free value.
  void add_structure(const std::string& name, const LabelVolume& binary, const Label& label = {});
  std::vector<StructureInfo> structures() const;
  const StructureInfo& structure(const std::string& name) const;  // Throws NotFoundError
  bool contains(const std::string& name) const noexcept;
  // Exact binary mask (bool) of one structure, or the union of several.
  LabelVolume read_structure(const std::string& name) const;
  LabelVolume read_structures(std::span<const std::string> names) const;

  // Writes pending changes atomically. No-op when nothing changed or in kRead mode.
  void commit();
  // Drops the changes not yet committed, so that neither commit() nor the destructor writes them:
  // the file keeps what it held. The archive becomes read-only; reopen it to read what is stored.
  void discard() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medmask
