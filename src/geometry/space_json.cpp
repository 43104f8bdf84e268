// A Space as JSON (see space_json.hpp).
#include "geometry/space_json.hpp"

#include <cmath>
#include <cstdint>

#include "medmask/error.hpp"
#include "medmask/space_json.hpp"

namespace medmask::detail {

namespace {

constexpr std::int64_t kMaxExtent = 0x7FFFFFFF;  // FORMAT.md 4.2

const char* direction_key(DirectionSpelling spelling) {
  return spelling == DirectionSpelling::kColumns ? "direction_columns" : "direction_lps";
}

std::string shown(const nlohmann::json& value) {
  std::string text = value.dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + text;
}

// Members are read through this, so that every failure names its field and nothing returns
// after fail (which must throw).
class FieldReader {
 public:
  explicit FieldReader(const JsonFieldFailure& fail) : fail_(fail) {}

  [[noreturn]] void fail(const std::string& field, const std::string& problem) const {
    fail_(field, problem);
    throw FormatError(field + ": " + problem);  // a failure callback that did not throw
  }
  const nlohmann::json& member(const nlohmann::json& object, const char* key) const {
    const auto it = object.find(key);
    if (it == object.end()) fail(std::string("space.") + key, "missing");
    return *it;
  }
  const nlohmann::json& list(const nlohmann::json& value, const std::string& field) const {
    if (!value.is_array()) fail(field, "expected an array, found " + shown(value));
    if (value.size() != 3) {
      fail(field, "expected an array of 3 items, found " + std::to_string(value.size()));
    }
    return value;
  }
  Vec3 vec3(const nlohmann::json& value, const std::string& field) const {
    list(value, field);
    Vec3 out{};
    for (std::size_t i = 0; i < 3; ++i) {
      const std::string item = field + "[" + std::to_string(i) + "]";
      if (!value[i].is_number()) fail(item, "expected a number, found " + shown(value[i]));
      out[i] = value[i].get<double>();
      if (!std::isfinite(out[i])) fail(item, "expected a finite number");
    }
    return out;
  }
  Shape3 shape(const nlohmann::json& value, const std::string& field) const {
    list(value, field);
    Shape3 out{};
    for (std::size_t i = 0; i < 3; ++i) {
      const std::string item = field + "[" + std::to_string(i) + "]";
      const std::string range = "1.." + std::to_string(kMaxExtent);
      if (!value[i].is_number_unsigned()) {
        fail(item, "expected an integer in " + range + ", found " + shown(value[i]));
      }
      const auto extent = value[i].get<std::uint64_t>();
      if (extent < 1 || extent > static_cast<std::uint64_t>(kMaxExtent)) {
        fail(item, "out of range; expected " + range + ", found " + std::to_string(extent));
      }
      out[i] = static_cast<std::int64_t>(extent);
    }
    return out;
  }

 private:
  const JsonFieldFailure& fail_;
};

}  // namespace

nlohmann::ordered_json space_to_json(const Space& space, DirectionSpelling spelling) {
  const Mat3& d = space.direction();
  nlohmann::ordered_json direction = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < 3; ++i) {
    // Columns: the i-th axis direction; rows: the i-th LPS component of every axis.
    direction.push_back(spelling == DirectionSpelling::kColumns
                            ? std::array<double, 3>{d[0][i], d[1][i], d[2][i]}
                            : d[i]);
  }
  nlohmann::ordered_json out = {{"shape_xyz", space.shape_xyz()},
                                {"origin_lps", space.origin_lps()},
                                {"spacing_mm", space.spacing_mm()},
                                {direction_key(spelling), direction}};
  if (spelling == DirectionSpelling::kRows) {
    out["affine_lps"] = space.to_affine_lps();
    out["affine_ras"] = space.to_affine_ras();
  }
  return out;
}

Space space_from_json(const nlohmann::json& json, DirectionSpelling spelling,
                      const JsonFieldFailure& fail) {
  const FieldReader read(fail);
  if (!json.is_object()) read.fail("space", "expected an object, found " + shown(json));
  const Shape3 shape = read.shape(read.member(json, "shape_xyz"), "space.shape_xyz");
  const Vec3 origin = read.vec3(read.member(json, "origin_lps"), "space.origin_lps");
  const Vec3 spacing = read.vec3(read.member(json, "spacing_mm"), "space.spacing_mm");
  const char* key = direction_key(spelling);
  const std::string field = std::string("space.") + key;
  const nlohmann::json& lists = read.list(read.member(json, key), field);
  Mat3 direction{};
  for (std::size_t i = 0; i < 3; ++i) {
    const Vec3 v = read.vec3(lists[i], field + "[" + std::to_string(i) + "]");
    for (std::size_t j = 0; j < 3; ++j) {
      if (spelling == DirectionSpelling::kColumns) {
        direction[j][i] = v[j];
      } else {
        direction[i][j] = v[j];
      }
    }
  }
  try {
    return Space(shape, origin, spacing, direction);
  } catch (const ArgumentError& error) {
    read.fail("space", error.what());
  }
}

Space space_from_json(const nlohmann::json& json, DirectionSpelling spelling,
                      const std::string& where) {
  return space_from_json(json, spelling, [&](const std::string& field, const std::string& problem) {
    throw FormatError(where + ": " + field + ": " + problem);
  });
}

}  // namespace medmask::detail

namespace medmask {

std::string space_to_index_json(const Space& space) {
  return detail::space_to_json(space, detail::DirectionSpelling::kColumns).dump();
}

}  // namespace medmask
