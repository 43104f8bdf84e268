// Label tables as Python dicts {name: value}: the original medmask API's "mapping".
#include <nanobind/nanobind.h>
#include <nanobind/stl/string.h>

#include <limits>
#include <string>

#include "py_convert.hpp"

namespace nb = nanobind;

namespace medmask::python {

nb::dict mapping_from_table(const LabelTable& table) {
  nb::dict mapping;
  for (const Label& label : table) mapping[nb::str(label.name.c_str())] = label.value;
  return mapping;
}

std::uint32_t label_value_from(nb::handle value, const char* what, bool allow_zero) {
  std::int64_t v = 0;
  if (PyFloat_Check(value.ptr()) || PyBool_Check(value.ptr()) || !PyIndex_Check(value.ptr()) ||
      !nb::try_cast(value, v, true)) {
    throw ArgumentError(std::string(what) + ": label value must be an integer");
  }
  const std::int64_t lowest = allow_zero ? 0 : 1;
  if (v < lowest || v > std::numeric_limits<std::uint32_t>::max()) {
    throw ArgumentError(std::string(what) + ": label value " + std::to_string(v) + " is outside " +
                        std::to_string(lowest) + " .. 4294967295");
  }
  return static_cast<std::uint32_t>(v);
}

LabelTable table_from_mapping(nb::handle mapping, const char* what) {
  if (!PyDict_Check(mapping.ptr()) && !PyObject_HasAttrString(mapping.ptr(), "keys")) {
    throw ArgumentError(std::string(what) + ": expected a mapping {name: value}");
  }
  // Any Mapping: dict(mapping) keeps its iteration order.
  nb::dict items;
  if (PyDict_Check(mapping.ptr())) {
    items = nb::borrow<nb::dict>(mapping);
  } else {
    items = nb::borrow<nb::dict>(nb::handle(reinterpret_cast<PyObject*>(&PyDict_Type))(mapping));
  }
  LabelTable table;
  for (auto [key, value] : items) {
    if (!PyUnicode_Check(key.ptr())) {
      throw ArgumentError(std::string(what) + ": label names must be str");
    }
    std::string name = nb::cast<std::string>(key);
    const std::string context = std::string(what) + " '" + name + "'";
    table.add(std::move(name), label_value_from(value, context.c_str()));
  }
  return table;
}

std::vector<std::string> names_from(nb::handle names, const char* what) {
  if (PyUnicode_Check(names.ptr())) return {nb::cast<std::string>(names)};
  std::vector<std::string> out;
  nb::object iterator = nb::steal(PyObject_GetIter(names.ptr()));
  if (!iterator.is_valid()) {
    PyErr_Clear();
    throw ArgumentError(std::string(what) + ": expected a str or a list of str");
  }
  for (nb::handle item : names) {
    if (!PyUnicode_Check(item.ptr())) {
      throw ArgumentError(std::string(what) + ": expected a str or a list of str");
    }
    out.push_back(nb::cast<std::string>(item));
  }
  return out;
}

std::optional<Rgb> color_from(nb::handle color, const char* what) {
  if (color.is_none()) return std::nullopt;
  const auto fail = [&] {
    return ArgumentError(std::string(what) + ": colour must be (r, g, b) with values 0..255");
  };
  if (!PySequence_Check(color.ptr()) || PyUnicode_Check(color.ptr()) || nb::len(color) != 3) {
    throw fail();
  }
  std::uint8_t rgb[3];
  for (std::size_t i = 0; i < 3; ++i) {
    nb::object item = color[i];
    std::int64_t v = 0;
    if (PyFloat_Check(item.ptr()) || !PyIndex_Check(item.ptr()) || !nb::try_cast(item, v, true) ||
        v < 0 || v > 255) {
      throw fail();
    }
    rgb[i] = static_cast<std::uint8_t>(v);
  }
  return Rgb{rgb[0], rgb[1], rgb[2]};
}

nb::object color_to_python(const std::optional<Rgb>& color) {
  if (!color) return nb::none();
  return nb::make_tuple(color->r, color->g, color->b);
}

}  // namespace medmask::python
