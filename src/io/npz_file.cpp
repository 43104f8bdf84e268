// .npy and .npz files; the ZIP container of .npz is read and written with libzip.
#include <zip.h>

#include <cstring>
#include <memory>
#include <set>

#include "detail/atomic_file.hpp"
#include "detail/file_io.hpp"
#include "io/npy_format.hpp"
#include "medmask/error.hpp"
#include "medmask/numpy_io.hpp"

namespace medmask {

namespace {

constexpr zip_uint64_t kMaxDeflateRatio = 1032;

struct ZipCloser {
  void operator()(zip_t* archive) const { zip_discard(archive); }
};

std::string zip_error_text(int code) {
  zip_error_t error;
  zip_error_init_with_code(&error, code);
  std::string text = zip_error_strerror(&error);
  zip_error_fini(&error);
  return text;
}

}  // namespace

LabelVolume parse_npy(std::span<const std::uint8_t> bytes, const std::string& name,
                      const ReadLimits& limits) {
  return io::npy_to_volume(io::parse_npy_header(bytes, name), bytes, name, limits);
}

LabelVolume read_npy(const std::string& path, const ReadLimits& limits) {
  return parse_npy(detail::read_file(path), path, limits);
}

NpzContents read_npz(const std::string& path, const ReadLimits& limits) {
  // No member holds more than its voxels (8 bytes each at most) and a header.
  const zip_uint64_t most_member_bytes = limits.max_voxels * 8 + (zip_uint64_t{1} << 20);
  int code = 0;
  std::unique_ptr<zip_t, ZipCloser> archive(zip_open(path.c_str(), ZIP_RDONLY, &code));
  if (!archive) {
    if (code == ZIP_ER_OPEN || code == ZIP_ER_NOENT || code == ZIP_ER_READ) {
      throw IoError(path + ": cannot open: " + zip_error_text(code), path);
    }
    throw FormatError(path + ": not a valid .npz (ZIP) file: " + zip_error_text(code), path);
  }
  NpzContents contents;
  const zip_int64_t members = zip_get_num_entries(archive.get(), 0);
  for (zip_int64_t index = 0; index < members; ++index) {
    const auto i = static_cast<zip_uint64_t>(index);
    zip_stat_t stat;
    if (zip_stat_index(archive.get(), i, 0, &stat) != 0) {
      throw FormatError(path + ": ZIP member " + std::to_string(index) + " is unreadable", path);
    }
    std::string member = stat.name;
    const std::string where = path + ":" + member;
    // numpy writes stored or deflated members; deflate expands at most ~1032:1, so a member
    // declaring more than its compressed bytes can hold is refused before allocating.
    const bool stored = stat.comp_method == ZIP_CM_STORE;
    if (!stored && stat.comp_method != ZIP_CM_DEFLATE) {
      throw UnsupportedError(where + ": ZIP compression method " +
                                 std::to_string(stat.comp_method) +
                                 " is not supported; numpy writes stored or deflated members",
                             path);
    }
    if (stat.size > most_member_bytes ||
        stat.size > stat.comp_size * (stored ? 1 : kMaxDeflateRatio) + 1024) {
      throw LimitError(where + ": member declares " + std::to_string(stat.size) +
                           " bytes, more than its " + std::to_string(stat.comp_size) +
                           " compressed bytes can hold (or the read limit allows)",
                       path);
    }
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(stat.size));
    zip_file_t* file = zip_fopen_index(archive.get(), i, 0);
    if (file == nullptr) throw FormatError(where + ": cannot open ZIP member", path);
    const zip_int64_t got = zip_fread(file, bytes.data(), stat.size);
    zip_fclose(file);
    if (got < 0 || static_cast<zip_uint64_t>(got) != stat.size) {
      throw FormatError(where + ": ZIP member is corrupt or truncated", path);
    }
    if (member.size() > 4 && member.ends_with(".npy")) member.resize(member.size() - 4);
    const io::NpyHeader header = io::parse_npy_header(bytes, where);
    if (header.kind == 'U') {
      contents.texts.emplace_back(member, io::npy_to_text(header, bytes, where));
    } else if (header.shape.size() == 3) {
      contents.arrays.emplace_back(member, io::npy_to_volume(header, bytes, where, limits));
    } else {
      contents.skipped.push_back(member);
    }
  }
  return contents;
}

void write_npz(const std::string& path,
               const std::vector<std::pair<std::string, LabelVolume>>& arrays,
               const std::vector<std::pair<std::string, std::string>>& texts) {
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> members;
  std::set<std::string> names;
  for (const auto& [name, volume] : arrays) members.emplace_back(name, io::volume_to_npy(volume));
  for (const auto& [name, text] : texts) members.emplace_back(name, io::text_to_npy(text));
  for (const auto& member : members) {
    if (member.first.empty() || !names.insert(member.first).second) {
      throw ArgumentError(path + ": .npz member name '" + member.first + "' is empty or repeated");
    }
  }
  // libzip writes its archive by name only.
  detail::write_file_atomic_by_name(path, [&](const std::string& temporary) {
    int code = 0;
    std::unique_ptr<zip_t, ZipCloser> archive(
        zip_open(temporary.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &code));
    if (!archive) throw detail::cannot_create_error(path, zip_error_text(code));
    for (const auto& [name, bytes] : members) {
      zip_source_t* source = zip_source_buffer(archive.get(), bytes.data(), bytes.size(), 0);
      const zip_int64_t index =
          source ? zip_file_add(archive.get(), (name + ".npy").c_str(), source, ZIP_FL_ENC_UTF_8)
                 : -1;
      if (index < 0) {
        if (source) zip_source_free(source);
        throw IoError(path + ": cannot add " + name + ": " + zip_strerror(archive.get()), path);
      }
      zip_set_file_compression(archive.get(), static_cast<zip_uint64_t>(index), ZIP_CM_DEFLATE, 6);
    }
    // zip_close writes the archive (the member buffers above must stay alive until then).
    if (zip_close(archive.get()) != 0) {
      throw detail::cannot_create_error(path, zip_strerror(archive.get()));
    }
    archive.release();
  });
}

}  // namespace medmask
