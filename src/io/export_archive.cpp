// export_archive: the entry point of exports, and helpers the formats share.
#include <algorithm>
#include <cctype>
#include <span>

#include "core/label_json.hpp"
#include "detail/atomic_file.hpp"
#include "io/export_targets.hpp"
#include "medmask/error.hpp"

namespace medmask {

namespace io {

nlohmann::json label_json(const Label& label, bool include_value) {
  return detail::label_to_json<nlohmann::json>(label, include_value);
}

void write_text_file(const std::string& path, const std::string& text) {
  const std::span<const std::uint8_t> part(reinterpret_cast<const std::uint8_t*>(text.data()),
                                           text.size());
  detail::write_file_atomic(path, part);
}

bool ends_with_nocase(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         std::equal(suffix.begin(), suffix.end(),
                    text.end() - static_cast<std::ptrdiff_t>(suffix.size()), [](char a, char b) {
                      return std::tolower(static_cast<unsigned char>(a)) ==
                             std::tolower(static_cast<unsigned char>(b));
                    });
}

}  // namespace io

ExportFormat parse_export_format(std::string_view text) {
  if (text == "nifti-dir") return ExportFormat::kNiftiDir;
  if (text == "nifti-multilabel") return ExportFormat::kNiftiMultilabel;
  if (text == "seg.nrrd") return ExportFormat::kSegNrrd;
  if (text == "npz") return ExportFormat::kNpz;
  throw ArgumentError("unknown export format '" + std::string(text) +
                      "': expected nifti-dir, nifti-multilabel, seg.nrrd or npz");
}

ExportResult export_archive(const MaskArchive& archive, ExportFormat format,
                            const std::string& path, const ExportOptions& options) {
  for (const std::string& name : options.names) archive.structure(name);  // NotFoundError
  ExportResult result;
  switch (format) {
    case ExportFormat::kNiftiDir:
      io::export_nifti_dir(archive, path, options, result);
      break;
    case ExportFormat::kNiftiMultilabel:
      io::export_nifti_multilabel(archive, path, options, result);
      break;
    case ExportFormat::kSegNrrd:
      io::export_seg_nrrd(archive, path, options, result);
      break;
    case ExportFormat::kNpz:
      io::export_npz(archive, path, options, result);
      break;
  }
  return result;
}

}  // namespace medmask
