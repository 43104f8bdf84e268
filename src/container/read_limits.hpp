// container/read_limits.hpp: the container's name for the public ReadLimits (medmask/limits.hpp,
// docs/FORMAT.md 8).
#pragma once

#include "medmask/limits.hpp"

namespace medmask::container {

using ReadLimits = medmask::ReadLimits;

}  // namespace medmask::container
