// container/error_message.hpp: the one message shape of file errors,
// "<file>: <field> at byte <offset>: <problem>" (docs/FORMAT.md 4 has an example).
#pragma once

#include <cstdint>
#include <string>

namespace medmask::container {

inline std::string file_message(const std::string& path, const std::string& field,
                                std::uint64_t offset, const std::string& problem) {
  return path + ": " + field + " at byte " + std::to_string(offset) + ": " + problem;
}

template <class ErrorType>
[[noreturn]] void throw_at(const std::string& path, const std::string& field, std::uint64_t offset,
                           const std::string& problem) {
  throw ErrorType(file_message(path, field, offset, problem), path, offset);
}

}  // namespace medmask::container
