// export_targets.hpp (internal): one function per export format (export.hpp).
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "medmask/export.hpp"

namespace medmask::io {

void export_nifti_dir(const MaskArchive& archive, const std::string& folder,
                      const ExportOptions& options, ExportResult& result);
void export_nifti_multilabel(const MaskArchive& archive, const std::string& path,
                             const ExportOptions& options, ExportResult& result);
void export_seg_nrrd(const MaskArchive& archive, const std::string& path,
                     const ExportOptions& options, ExportResult& result);
void export_npz(const MaskArchive& archive, const std::string& path, const ExportOptions& options,
                ExportResult& result);

// One label as MedMask's sidecars write it: {"name", "value", "color", "description",
// "concept"}; value is left out when include_value is false.
nlohmann::json label_json(const Label& label, bool include_value = true);

// Writes text to path atomically. Throws IoError.
void write_text_file(const std::string& path, const std::string& text);

bool ends_with_nocase(const std::string& text, const std::string& suffix);

}  // namespace medmask::io
