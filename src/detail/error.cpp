#include "medmask/error.hpp"

namespace medmask {

Error::Error(ErrorCode code, const std::string& message, std::string path,
             std::optional<std::uint64_t> offset, Remedy remedy)
    : std::runtime_error(message),
      code_(code),
      path_(std::move(path)),
      offset_(offset),
      remedy_(remedy) {}

const char* remedy_name(Remedy remedy) noexcept {
  switch (remedy) {
    case Remedy::kNone:
      return "";
    case Remedy::kAllowUnnamedValues:
      return "allow_unnamed_values";
    case Remedy::kGiveGeometry:
      return "give_geometry";
    case Remedy::kBinarySegmentation:
      return "binary_segmentation";
  }
  return "";
}

}  // namespace medmask
