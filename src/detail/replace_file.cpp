// The public face of detail::write_file_atomic_by_name: one atomic writer, whoever calls it.
#include "medmask/replace_file.hpp"

#include "detail/atomic_file.hpp"

namespace medmask {

void replace_file(const std::string& target,
                  const std::function<void(const std::string& temporary)>& write) {
  detail::write_file_atomic_by_name(target, write);
}

}  // namespace medmask
