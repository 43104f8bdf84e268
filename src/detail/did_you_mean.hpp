// detail/did_you_mean.hpp: the " (did you mean 'liver'?)" of an unknown-name error.
#pragma once

#include <string>
#include <vector>

namespace medmask::detail {

// " (did you mean 'liver'?)" for the known name closest to wanted when one is close: a case
// difference (`Liver` for `liver`), or a typo or two in a longer name. Empty otherwise.
std::string did_you_mean(const std::vector<std::string>& names, const std::string& wanted);

}  // namespace medmask::detail
