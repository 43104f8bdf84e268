// export_dicom_seg / import_dicom_seg: DICOM SEG through the C++ writer and reader (thin).
#include "medmask/dicom_seg.hpp"

#include <nanobind/nanobind.h>
#include <nanobind/stl/filesystem.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <optional>
#include <string>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

void bind_dicom_seg(nb::module_& m) {
  m.def(
      "export_dicom_seg",
      [](const std::filesystem::path& archive, const std::filesystem::path& path,
         std::optional<std::filesystem::path> reference, const std::string& type, nb::handle names,
         bool rle, bool jpeg_ls, bool keep_empty_frames, const std::string& algorithm) {
        DicomSegExportOptions options;
        if (!names.is_none()) options.names = names_from(names, "names");
        options.type = parse_dicom_seg_type(type);
        if (reference) options.reference = path_string(*reference);
        options.rle = rle;
        options.jpeg_ls = jpeg_ls;
        options.omit_empty_frames = !keep_empty_frames;
        options.algorithm_name = algorithm;
        const std::string a = path_string(archive), p = path_string(path);
        nb::gil_scoped_release release;
        const MaskArchive source(a, OpenMode::kRead);
        DicomSegExportResult result = export_dicom_seg(source, p, options);
        return std::make_pair(result.files, warning_texts(result.warnings));
      },
      nb::arg("archive"), nb::arg("path"), nb::arg("reference") = nb::none(),
      nb::arg("type") = "auto", nb::arg("names") = nb::none(), nb::arg("rle") = false,
      nb::arg("jpeg_ls") = false, nb::arg("keep_empty_frames") = false, nb::arg("algorithm") = "",
      nb::sig("def export_dicom_seg(archive: str | os.PathLike[str], path: str | "
              "os.PathLike[str], reference: str | os.PathLike[str] | None = None, type: str = "
              "'auto', names: collections.abc.Iterable[str] | None = None, rle: bool = False, "
              "jpeg_ls: bool = False, keep_empty_frames: bool = False, algorithm: str = '') -> "
              "tuple[list[str], list[str]]"),
      "Writes the structures of an archive file as DICOM SEG (as `medmask export --to "
      "dicom-seg`): type 'auto' (LABELMAP unless structures overlap, then BINARY), 'labelmap' "
      "(one file per exclusive layer when they overlap) or 'binary'; reference: the folder of "
      "the source series; rle / jpeg_ls: lossless compression of LABELMAP frames. Returns (files "
      "written, warnings).");
  m.def(
      "import_dicom_seg",
      [](const std::filesystem::path& source, const std::filesystem::path& output) {
        const std::string s = path_string(source), o = path_string(output);
        nb::gil_scoped_release release;
        const ImportedCase imported = import_dicom_seg(s);
        MaskArchive archive(o, OpenMode::kWrite, imported.space);
        add_imported(archive, imported);
        archive.commit();
        return warning_texts(imported.warnings);
      },
      nb::arg("source"), nb::arg("output"),
      nb::sig("def import_dicom_seg(source: str | os.PathLike[str], output: str | "
              "os.PathLike[str]) -> list[str]"),
      "Packs a DICOM SEG file (BINARY, FRACTIONAL thresholded at 0.5, LABELMAP) or a folder of "
      "SEG instances into a new archive at output (as `medmask pack seg.dcm`). Returns the "
      "warnings.");
}

}  // namespace medmask::python
