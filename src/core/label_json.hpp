// core/label_json.hpp: one Label as the JSON object every MedMask file uses (the archive index,
// label-table files, NIfTI extensions, sidecars): name, value, colour, description, concept.
#pragma once

#include <nlohmann/json.hpp>

#include "medmask/label_table.hpp"

namespace medmask::detail {

// Json is nlohmann::json or nlohmann::ordered_json. Absent fields are left out.
template <class Json>
Json label_to_json(const Label& label, bool include_value = true) {
  Json item;
  item["name"] = label.name;
  if (include_value) item["value"] = label.value;
  if (label.color) item["color"] = {label.color->r, label.color->g, label.color->b};
  if (!label.description.empty()) item["description"] = label.description;
  if (label.concept_code) {
    item["concept"] = {{"scheme", label.concept_code->scheme},
                       {"code", label.concept_code->code},
                       {"meaning", label.concept_code->meaning}};
  }
  return item;
}

}  // namespace medmask::detail
