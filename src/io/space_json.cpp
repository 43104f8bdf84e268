// A Space as JSON (see space_json.hpp).
#include "io/space_json.hpp"

#include <type_traits>

#include "medmask/error.hpp"

namespace medmask::detail {

namespace {

nlohmann::json rows(const Affine4& affine) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& row : affine) out.push_back(row);
  return out;
}

// what names the field in errors, e.g. "space.origin_lps".
template <class T, std::size_t N>
std::array<T, N> numbers(const nlohmann::json* list, const std::string& what,
                         const std::string& where) {
  if (list == nullptr || !list->is_array() || list->size() != N) {
    throw FormatError(where + ": " + what + " must be a list of " + std::to_string(N) + " numbers");
  }
  std::array<T, N> out{};
  for (std::size_t i = 0; i < N; ++i) {
    const bool ok = std::is_integral_v<T> ? (*list)[i].is_number_integer() : (*list)[i].is_number();
    if (!ok) throw FormatError(where + ": " + what + " holds a value of the wrong kind");
    out[i] = (*list)[i].get<T>();
  }
  return out;
}

const nlohmann::json* member(const nlohmann::json& json, const char* key) {
  const auto it = json.find(key);
  return it == json.end() ? nullptr : &*it;
}

}  // namespace

nlohmann::json space_to_json(const Space& space) {
  nlohmann::json direction = nlohmann::json::array();
  for (const auto& row : space.direction()) direction.push_back(row);
  return {{"shape_xyz", space.shape_xyz()},
          {"origin_lps", space.origin_lps()},
          {"spacing_mm", space.spacing_mm()},
          {"direction_lps", direction},
          {"affine_lps", rows(space.to_affine_lps())},
          {"affine_ras", rows(space.to_affine_ras())}};
}

Space space_from_json(const nlohmann::json& json, const std::string& where) {
  if (!json.is_object()) throw FormatError(where + ": space must be a JSON object");
  const nlohmann::json* rows_json = member(json, "direction_lps");
  if (rows_json == nullptr || !rows_json->is_array() || rows_json->size() != 3) {
    throw FormatError(where + ": space.direction_lps must be 3 rows of 3 numbers");
  }
  Mat3 direction{};
  for (std::size_t r = 0; r < 3; ++r) {
    direction[r] = numbers<double, 3>(&(*rows_json)[r],
                                      "space.direction_lps[" + std::to_string(r) + "]", where);
  }
  try {
    return Space(numbers<std::int64_t, 3>(member(json, "shape_xyz"), "space.shape_xyz", where),
                 numbers<double, 3>(member(json, "origin_lps"), "space.origin_lps", where),
                 numbers<double, 3>(member(json, "spacing_mm"), "space.spacing_mm", where),
                 direction);
  } catch (const ArgumentError& e) {
    throw FormatError(where + ": space: " + e.what());
  }
}

}  // namespace medmask::detail
