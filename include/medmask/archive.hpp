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
//   structures are kept exactly: a structure goes into the first layer where it (nearly) fits,
//   and the few voxels it shares with others go into a later layer as a second part.
// Groups (add_group) are named unions of structures and groups, stored as definitions; a
// structure handed to add_structure that equals the union of stored structures is stored as
// such a group, so rib groups cost no voxels.
//
// Reading decodes only the tiles (format 1.3; z-chunks in older files) a request's bounding box
// meets and keeps decoded ones (up to 512 MiB) so that reading many structures decodes each once.
//
// Writing never loses what the file held: kWrite replaces the file atomically (temporary file,
// fsync, rename); kAppend adds changed sections and a new index after the file's end, fsyncs them
// and only then rewrites the 64-byte header, so a crash at any byte leaves the previous state
// readable. compact() rewrites the file without the bytes that replaced or removed sections left.
// Thread safety: const member functions may be called from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "medmask/limits.hpp"
#include "medmask/mask.hpp"
#include "medmask/threads.hpp"

namespace medmask {

enum class OpenMode { kRead, kWrite, kAppend };

// Where a structure's voxels are stored: one value of one entry. A structure that overlaps others
// may have several parts, in different layers; its voxels are the union of its parts.
struct StructurePart {
  std::string entry;
  std::uint32_t value = 0;
  LabelStats stats;
};

// One structure or group as the archive index describes it (no voxel data is read for this).
struct StructureInfo {
  std::string name;
  std::string entry;        // the entry holding its (first) part; empty for a group
  std::uint32_t value = 0;  // its value in that entry; 0 for a group
  Label label;              // name, value, colour, description, coded concept
  LabelStats stats;         // voxel count and bounding box in (z, y, x): of the union for a group
  double volume_mm3 = 0.0;
  std::vector<StructurePart> parts;  // empty for a group
  std::vector<std::string> members;  // a group's direct members (structures or groups)
  bool is_group() const noexcept { return !members.empty(); }
};

// Slices [begin, end) along z.
struct ZRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
};

// A box of voxels: [begin, end) along each of z, y and x.
struct VoxelBox {
  ZRange z, y, x;
};

// A structure sharing voxels with another, and how many.
struct Overlap {
  std::string name;
  std::uint64_t voxels = 0;
};

// How entries' label maps are stored (docs/FORMAT.md 5).
enum class Coding {
  kZstd,       // "zstd": the raw voxels as one zstd frame (any format 1.x reader)
  kMedmaskCm,  // "medmask-cm1": z-chunks coded by the MedMask label codec (readers >= 1.1)
  // "medmask-cm1-tiles": the z-chunks cut into y/x tiles, so that reading one structure decodes
  // little more than its bounding box (readers >= 1.3). The default.
  kMedmaskTiles,
};

// The name the index stores for a coding ("zstd", "medmask-cm1", "medmask-cm1-tiles"), and the
// coding of a name: std::nullopt for a name this reader does not know.
std::string_view coding_name(Coding coding) noexcept;
std::optional<Coding> coding_from_name(std::string_view name) noexcept;

// Effort of the MedMask codec: kFast encodes and decodes quickest, kMax gives the smallest files.
// Readers never need to know the level.
enum class CompressionLevel { kFast, kDefault, kMax };

// The one spelling of the levels, "fast", "default" and "max": the index's "level" field
// (docs/FORMAT.md 4.3.1), the CLI's --level and Python's level=. compression_level_from_name
// returns std::nullopt for any other text.
std::string_view compression_level_name(CompressionLevel level) noexcept;
std::optional<CompressionLevel> compression_level_from_name(std::string_view name) noexcept;

// Slices per z-chunk when WriteOptions::chunk_depth is 0. kFast cuts finer: a scan's structures
// crowd into a few slices, and shorter chunks share that work out among the decoding threads
// (about 6 % more bytes on the sample case).
constexpr std::uint32_t default_chunk_depth(CompressionLevel level) {
  return level == CompressionLevel::kFast ? 24 : 64;
}

// The largest rows and columns per tile when WriteOptions::tile_size is 0, and the slices per
// z-chunk when WriteOptions::chunk_depth is 0 (kMedmaskTiles): chosen by measurement on the
// sample case (docs/FORMAT.md 5.3). Tiles give the threads their work, so every level cuts the
// same z-chunks.
std::uint32_t default_tile_size(CompressionLevel level);
std::uint32_t default_tiled_chunk_depth();

// Whether add_structure gives each structure a layer of its own when WriteOptions leaves it open:
// for the tiled coding at levels fast and default.
constexpr bool default_layer_per_structure(Coding coding, CompressionLevel level) {
  return coding == Coding::kMedmaskTiles && level != CompressionLevel::kMax;
}

struct WriteOptions {
  int zstd_level = 19;  // zstd level of the index, and of data sections coded kZstd
  Coding coding = Coding::kMedmaskTiles;
  CompressionLevel level = CompressionLevel::kDefault;  // for kMedmaskCm and kMedmaskTiles
  // Slices per independent z-chunk; 0 takes default_chunk_depth(level) for kMedmaskCm and
  // default_tiled_chunk_depth() for kMedmaskTiles.
  std::uint32_t chunk_depth = 0;
  // The largest rows and columns per tile (kMedmaskTiles); 0 takes default_tile_size(level). The
  // writer makes the tiles of an axis equal: ceil(n / ceil(n / tile_size)) each.
  std::uint32_t tile_size = 0;
  // Every non-empty structure added with add_structure gets a layer of its own (FORMAT.md 10.2),
  // and chunk_depth and tile_size, when 0, are chosen for it: tiles of whole slices, and z-chunks
  // cutting its box into pieces of about 512 Ki voxels, at most 64 (one for most structures).
  // Reading one structure then decodes that structure's own stream(s) and nothing else; the shared
  // layout (false) packs structures into as few label maps as overlap allows, and reading one
  // decodes the crowded tiles around it. std::nullopt keeps the layout of a file opened for
  // appending (or coded again) and otherwise takes default_layer_per_structure: a layer per
  // structure except at level max, whose point is the smallest file (sample case: fast -0.2 %,
  // default +3.3 %, max +7.4 % bytes for a layer per structure; reading one structure about 5x
  // faster; README "Reading one structure"). Memory while writing grows with the pages the
  // structures' boxes touch.
  std::optional<bool> layer_per_structure = std::nullopt;
  // Threads for coding and decoding this archive's label maps; 0 = default_threads()
  // (medmask/threads.hpp). Files are the same whatever the count.
  unsigned threads = 0;
};

// Options of an archive opened for reading only.
struct ReadOptions {
  unsigned threads = 0;  // threads for decoding; 0 = default_threads() (medmask/threads.hpp)
};

// One entry as the archive index describes it (no voxel data is read to produce this).
struct EntryInfo {
  std::string name;
  DType dtype = DType::kUInt8;
  // How the data section is coded; std::nullopt for a coding this reader does not know
  // (coding_name says which). level: for the medmask codings, std::nullopt otherwise.
  // stored_bytes: size of the data section. A layer changed since the last commit is coded only
  // at commit: until then coding, level and coding_name are empty and stored_bytes is 0.
  std::optional<Coding> coding;
  std::optional<CompressionLevel> level;
  std::string coding_name;  // as the index stores it (coding_name(*coding) for a known coding)
  std::uint64_t stored_bytes = 0;
  // Since 1.3: the earlier layer this layer is coded against (FORMAT.md 4.3.3); empty if none.
  std::string reference;
};

class MaskArchive {
 public:
  // kRead: reads the header and index (no voxel data); Throws IoError, FormatError,
  //        UnsupportedError, LimitError. space must be empty. A file of the original medmask
  //        0.1.x (.msk, .mska) opens too, read whole into memory (other modes: UnsupportedError).
  // kWrite: starts an empty archive (the file is replaced on commit); space is required.
  // kAppend: like kRead, then allows adding; if the file does not exist, like kWrite, and the
  //          commit that creates it fails (IoError) if another writer created it meanwhile.
  //          Every commit, compact() included, fails with IoError "the file changed since it was
  //          opened" when another writer committed since: reopen and redo.
  // limits: the caps of medmask/limits.hpp, checked before anything is allocated (LimitError).
  MaskArchive(std::string path, OpenMode mode, std::optional<Space> space = std::nullopt,
              WriteOptions options = {}, ReadLimits limits = {});
  // kRead with options (the thread count).
  MaskArchive(std::string path, ReadOptions options, ReadLimits limits = {});
  ~MaskArchive();  // commits pending changes; errors there are swallowed: call commit() first
  MaskArchive(MaskArchive&&) noexcept;
  MaskArchive& operator=(MaskArchive&&) noexcept;

  const std::string& path() const noexcept;
  OpenMode mode() const noexcept;
  const Space& space() const noexcept;

  // Entries. Entries are namespaces (as in medmask 0.1.x: one per model, annotator or task): a
  // structure name the archive already holds is stored as "<entry>/<name>", and load_mask gives
  // the entry back with the names it was added with. Throws ArgumentError if the entry name
  // exists, the space differs from the archive's, or the archive is read-only.
  void add_mask(const std::string& entry_name, const SegmentationMask& mask);
  // Throws NotFoundError for an unknown entry, FormatError for corrupt data.
  SegmentationMask load_mask(const std::string& entry_name) const;
  std::vector<std::string> entry_names() const;
  std::vector<EntryInfo> entries() const;

  // Structures and groups share one namespace: every query below takes either.
  // binary: non-zero = inside, shape == space().shape_zyx(). value 0 picks the next free value.
  // A binary equal to the union of stored structures (two or more, or a copy of one) is stored as
  // a group of them, a "recognised" group; commit() looks again over every structure, so a union
  // added before its members becomes a group too. Pass recognise_unions = false to always store
  // voxels. A recognised group never blocks removing or replacing its members: it first becomes a
  // structure again, holding exactly the voxels it stood for.
  void add_structure(const std::string& name, const LabelVolume& binary, const Label& label = {},
                     bool recognise_unions = true);
  // A named union of members (structures or groups, already in the archive). Throws
  // ArgumentError for a used name, an unknown member or no members (so no cycle can arise).
  void add_group(const std::string& name, std::span<const std::string> members,
                 const Label& label = {});
  // Replaces the voxels of a structure, keeping its label (value, colour, ...). Allowed for a
  // member of any group (a group defined by add_group then covers the new voxels) and for a
  // recognised group (which becomes a structure); throws ArgumentError for a defined group.
  void replace_structure(const std::string& name, const LabelVolume& binary);
  // Removes a structure or group. Throws ArgumentError if a group defined by add_group lists it
  // as a member (a recognised group keeps its voxels instead).
  void remove(const std::string& name);

  // Puts the structures (not groups) named first, in that order; the others follow in their
  // order. Throws NotFoundError for an unknown name, ArgumentError for a group, a name given
  // twice, or a read-only archive.
  void reorder_structures(std::span<const std::string> first);

  // Structures in the order they were added (or reorder_structures), then groups in the order
  // they were defined.
  std::vector<StructureInfo> structures() const;
  const StructureInfo& structure(const std::string& name) const;  // Throws NotFoundError
  bool contains(const std::string& name) const noexcept;
  // Entries are namespaces (FORMAT.md 4.4): every lookup above takes a stored name or
  // "<entry>/<name>". resolve_name applies the rule for names users type (CLI, Python): the
  // stored name, or NotFoundError for an unknown name and for a plain name that structures of
  // several entries carry (the error lists their qualified names).
  std::string resolve_name(const std::string& name) const;
  // The structures (not groups) a group stands for, its nested groups expanded; {name} for a
  // structure.
  std::vector<std::string> expand(const std::string& name) const;

  // Exact binary mask (bool, shape (z, y, x)) of one structure or group, or the union of several.
  LabelVolume read_structure(const std::string& name) const;
  LabelVolume read_structures(std::span<const std::string> names) const;
  // The same restricted to slices z in [range.begin, range.end): shape (end - begin, y, x).
  // Only the tiles (or z-chunks) meeting those slices and the structures' bounding boxes are
  // decoded. Throws ArgumentError for a bad range.
  LabelVolume read_structures(std::span<const std::string> names, ZRange range) const;
  // The structures' union restricted to a box: shape (z.end - z.begin, y.end - y.begin,
  // x.end - x.begin).
  // Only the tiles meeting the box and the structures' bounding boxes are decoded (z-chunks of
  // format 1.2 files meet every row and column). Throws ArgumentError for a bad box.
  LabelVolume read_box(std::span<const std::string> names, const VoxelBox& box) const;
  // One mask per name, decoding every tile or chunk needed once (and in parallel).
  std::vector<LabelVolume> read_each(std::span<const std::string> names) const;
  // Every structure and group covering voxel (z, y, x). Throws ArgumentError outside the grid.
  std::vector<std::string> labels_at(std::int64_t z, std::int64_t y, std::int64_t x) const;
  // The structures sharing at least one voxel with name (a structure or group), with the count.
  std::vector<Overlap> overlapping(const std::string& name) const;

  // Writes pending changes (see the class comment). No-op when nothing changed or in kRead mode.
  void commit();
  // The same, with the index compressed at a fast zstd level (a few hundred bytes more on large
  // indexes): for callers that commit after every change (medmask 0.1.x's write-through). The
  // next commit(), compact() or the destructor writes the index at WriteOptions::zstd_level again,
  // even when nothing else changed; until then the file is complete and valid.
  void commit_provisional();
  // Commits, then rewrites the whole file atomically without unreferenced bytes.
  void compact();
  // Checks every stored byte: each data section's and each chunk's checksum (also chunks outside
  // every bounding box, which reads never touch), that every entry decodes, and that the index's
  // statistics (voxel counts, boxes) match the voxels. Memory: one entry's label map at a time.
  // Throws FormatError (naming the entry, chunk or value), UnsupportedError, IoError.
  void verify_data() const;
  // Like compact(), and codes every entry again with this archive's WriteOptions (those given
  // when opening it in kAppend), so that an archive changes level or coding; structures, groups,
  // labels and entries are kept. Throws ArgumentError when read-only, FormatError (corrupt data).
  void recode();
  // Bytes of the file that no section references (left by replace, remove or re-coded layers).
  std::uint64_t unreferenced_bytes() const;
  // Drops the changes not yet committed, so that neither commit() nor the destructor writes them:
  // the file keeps what it held. The archive becomes read-only; reopen it to read what is stored.
  void discard() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace medmask
