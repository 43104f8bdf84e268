// geometry/affine_problem.hpp (internal): whether an affine can be a Space, asked before
// building one, so that a reader that falls back to another affine decides without catching.
#pragma once

#include <optional>
#include <string>

#include "medmask/space.hpp"

namespace medmask::detail {

// Why Space::from_affine_ras would refuse affine_ras (sheared, singular, not finite), or nullopt
// when it would not. The text is the one from_affine_ras throws.
std::optional<std::string> affine_ras_problem(const Affine4& affine_ras);

}  // namespace medmask::detail
