// medmask._core: the nanobind extension behind the medmask Python package.
// C++ exceptions become Python ones here; each area's classes are bound in its own file.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <string>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

void bind_errors(nb::module_& m) {
  // New exception classes for errors in file data; caller mistakes use the builtin types.
  // Leaked on purpose: the types must outlive every translation, and a static destructor would
  // run after the interpreter is gone.
  static PyObject* format_error =
      (new nb::exception<FormatError>(m, "FormatError", PyExc_ValueError))->ptr();
  static PyObject* unsupported_error =
      (new nb::exception<UnsupportedError>(m, "UnsupportedError", PyExc_ValueError))->ptr();
  static PyObject* limit_error =
      (new nb::exception<LimitError>(m, "LimitError", PyExc_ValueError))->ptr();
  nb::handle(format_error).attr("__doc__") =
      "The bytes of a file break the MedMask format (or NIfTI): bad magic, truncation, checksum "
      "mismatch, a field out of range.";
  nb::handle(unsupported_error).attr("__doc__") =
      "A valid file that needs features this build lacks (a newer major version, an unknown "
      "must-understand section, 4-D or complex NIfTI data).";
  nb::handle(limit_error).attr("__doc__") =
      "A size declared by a file exceeds the read limits or the file's own size.";

  // Registered last, so tried first: one translator dispatching on the pinned error code keeps
  // the mapping in one place (C++ subclasses thrown as a plain medmask::Error map the same way).
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Error& e) {
      PyObject* type = PyExc_ValueError;
      switch (e.code()) {
        case ErrorCode::kFormat:
          type = format_error;
          break;
        case ErrorCode::kUnsupported:
          type = unsupported_error;
          break;
        case ErrorCode::kLimit:
          type = limit_error;
          break;
        case ErrorCode::kArgument:
          type = PyExc_ValueError;
          break;
        case ErrorCode::kNotFound:
          type = PyExc_KeyError;
          break;
        case ErrorCode::kIo:
          type = PyExc_OSError;
          break;
      }
      // Messages quote names from files, which may be any bytes: never let decoding them raise
      // UnicodeDecodeError in place of the medmask error.
      const std::string_view text = e.what();
      PyObject* message = PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()),
                                               "backslashreplace");
      if (message == nullptr) return;  // MemoryError is set
      PyErr_SetObject(type, message);
      Py_DECREF(message);
    }
  });
}

}  // namespace medmask::python

NB_MODULE(_core, m) {
  m.doc() =
      "medmask._core: compiled bindings of the MedMask C++ library. Import from `medmask` "
      "instead; arrays are numpy (z, y, x) C order, world coordinates are DICOM LPS mm.";
  m.attr("__version__") = MEDMASK_VERSION_STRING;
  medmask::python::bind_errors(m);
  medmask::python::bind_warnings(m);
  // Test hook: throws the C++ error of a pinned code, so tests can check the translation of every
  // kind directly. Private (not in the stubs).
  m.def(
      "_raise_error",
      [](int code, const std::string& message) {
        switch (code) {
          case 1:
            throw medmask::FormatError(message);
          case 2:
            throw medmask::UnsupportedError(message);
          case 3:
            throw medmask::LimitError(message);
          case 4:
            throw medmask::ArgumentError(message);
          case 5:
            throw medmask::NotFoundError(message);
          case 6:
            throw medmask::IoError(message);
          default:
            throw medmask::Error(static_cast<medmask::ErrorCode>(code), message);
        }
      },
      nb::arg("code"), nb::arg("message"), "Test hook: raises the error of a pinned code.");
  medmask::python::bind_limits(m);
  medmask::python::bind_space(m);
  medmask::python::bind_mask(m);
  medmask::python::bind_archive(m);
  medmask::python::bind_nifti(m);
  medmask::python::bind_dicom_seg(m);
}
