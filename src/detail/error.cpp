#include "medmask/error.hpp"

namespace medmask {

Error::Error(ErrorCode code, const std::string& message, std::string path,
             std::optional<std::uint64_t> offset, Remedy remedy)
    : std::runtime_error(message),
      code_(code),
      path_(std::move(path)),
      offset_(offset),
      remedy_(remedy) {}

}  // namespace medmask
