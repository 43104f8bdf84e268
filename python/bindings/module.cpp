// medmask._core: the nanobind extension behind the medmask Python package.
// C++ exceptions become Python ones here; each area's classes are bound in its own file.
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <string>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

namespace {
PyObject* medmask_warning = nullptr;
}  // namespace

void warn_medmask(const std::string& message) {
  if (PyErr_WarnEx(medmask_warning, message.c_str(), 1) < 0) throw nb::python_error();
}

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
  // A name or entry the file does not hold: a KeyError, as for any mapping, and a ValueError, as
  // medmask 0.1.x raised for an unknown entry (its users' `except ValueError` keeps working).
  static PyObject* not_found_error = [&] {
    nb::object bases = nb::make_tuple(nb::handle(PyExc_KeyError), nb::handle(PyExc_ValueError));
    PyObject* type = PyErr_NewExceptionWithDoc(
        "medmask.NotFoundError",
        "A structure, group or entry name the archive does not hold (the message lists the known "
        "or the qualified names). Both KeyError and ValueError (medmask 0.1.x raised ValueError "
        "for an unknown entry).",
        bases.ptr(), nullptr);
    m.attr("NotFoundError") = nb::handle(type);
    return type;
  }();
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
          type = not_found_error;
          break;
        case ErrorCode::kIo:
          type = PyExc_OSError;
          break;
      }
      // Messages quote names from files, which may be any bytes: never let decoding them raise
      // UnicodeDecodeError in place of the medmask error.
      const std::string_view text = e.what();
      nb::object message = nb::steal(PyUnicode_DecodeUTF8(
          text.data(), static_cast<Py_ssize_t>(text.size()), "backslashreplace"));
      if (!message.is_valid()) return;  // MemoryError is set
      // The exception keeps what the C++ error knows: .code (pinned), .path, .offset (None
      // when the error has no byte offset), .remedy (the option that would have avoided it, by
      // its pinned name, or None).
      nb::object error = nb::steal(PyObject_CallOneArg(type, message.ptr()));
      if (!error.is_valid()) return;  // the call set its own Python error
      error.attr("code") = static_cast<int>(e.code());
      error.attr("path") = nb::steal(PyUnicode_DecodeUTF8(
          e.path().data(), static_cast<Py_ssize_t>(e.path().size()), "backslashreplace"));
      error.attr("offset") = e.offset() ? nb::cast(*e.offset()) : nb::none();
      error.attr("remedy") = e.remedy() == Remedy::kNone
                                 ? nb::object(nb::none())
                                 : nb::object(nb::str(remedy_name(e.remedy())));
      PyErr_SetObject(type, error.ptr());
    }
  });

  // A UserWarning, so `warnings` filters treat it like any library's warning. Leaked like the
  // exception types above.
  medmask_warning = PyErr_NewExceptionWithDoc(
      "medmask.MedMaskWarning",
      "Something was done that the caller may not expect, for example add_label painting over "
      "voxels of an earlier label (medmask 0.1.x behaviour).",
      PyExc_UserWarning, nullptr);
  m.attr("MedMaskWarning") = nb::handle(medmask_warning);
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
