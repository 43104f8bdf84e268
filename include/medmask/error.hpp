// medmask/error.hpp: the one exception hierarchy of MedMask.
//
// Every failure the library reports is a medmask::Error (a std::runtime_error) with a pinned
// ErrorCode, the path of the file involved (may be empty), for file data the byte offset, and
// the Remedy when an option of the call would have avoided it.
// Python maps them to FormatError/UnsupportedError/LimitError (ValueError), ValueError, KeyError
// and OSError; the CLI prints what() on one line and exits 1. The library itself never prints.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

namespace medmask {

// Pinned values: they are part of the API and never renumbered.
enum class ErrorCode : int {
  kFormat = 1,       // the bytes break docs/FORMAT.md (magic, truncation, checksum, range)
  kUnsupported = 2,  // valid but beyond this build (newer major version, unknown feature)
  kLimit = 3,        // a declared size exceeds the read limits or the file's own size
  kArgument = 4,     // a caller mistake: wrong shape, bad value, overlap
  kNotFound = 5,     // an unknown structure or entry name
  kIo = 6,           // the operating system failed (open, read, write, rename)
};

// The option of the failed call that would have let it succeed, when one does and the message
// asks for it in words. Front ends key their own spelling of that option on it (the CLI appends
// its flag), never on the message's wording. Pinned values, as ErrorCode's.
enum class Remedy : int {
  kNone = 0,
  kAllowUnnamedValues = 1,  // store voxel values the label table does not name (label_<value>)
  kGiveGeometry = 2,        // data without geometry: give a reference space, or origin and spacing
  kBinarySegmentation = 3,  // a LABELMAP DICOM SEG cannot hold it: write BINARY
};

// Pinned names of the remedies ("allow_unnamed_values", "give_geometry", "binary_segmentation";
// "" for kNone): Python's `error.remedy`.
const char* remedy_name(Remedy remedy) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string path = {},
        std::optional<std::uint64_t> offset = std::nullopt, Remedy remedy = Remedy::kNone);
  ErrorCode code() const noexcept { return code_; }
  const std::string& path() const noexcept { return path_; }
  std::optional<std::uint64_t> offset() const noexcept { return offset_; }
  Remedy remedy() const noexcept { return remedy_; }

 private:
  ErrorCode code_;
  std::string path_;
  std::optional<std::uint64_t> offset_;
  Remedy remedy_;
};

#define MEDMASK_DEFINE_ERROR(Name, Code)                                      \
  class Name : public Error {                                                 \
   public:                                                                    \
    explicit Name(const std::string& message, std::string path = {},          \
                  std::optional<std::uint64_t> offset = std::nullopt,         \
                  Remedy remedy = Remedy::kNone)                              \
        : Error(ErrorCode::Code, message, std::move(path), offset, remedy) {} \
  };

MEDMASK_DEFINE_ERROR(FormatError, kFormat)
MEDMASK_DEFINE_ERROR(UnsupportedError, kUnsupported)
MEDMASK_DEFINE_ERROR(LimitError, kLimit)
MEDMASK_DEFINE_ERROR(ArgumentError, kArgument)
MEDMASK_DEFINE_ERROR(NotFoundError, kNotFound)
MEDMASK_DEFINE_ERROR(IoError, kIo)
#undef MEDMASK_DEFINE_ERROR

}  // namespace medmask
