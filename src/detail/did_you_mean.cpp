// The closest known name for an unknown-name error (archive structures and entries, label tables).
#include "detail/did_you_mean.hpp"

#include <algorithm>

namespace medmask::detail {

namespace {

// Edit distance of a and b (insertions, deletions, substitutions; ASCII case ignored).
std::size_t edit_distance(const std::string& a, const std::string& b) {
  const auto lower = [](char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  };
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min(
          {row[j] + 1, row[j - 1] + 1, diagonal + (lower(a[i - 1]) == lower(b[j - 1]) ? 0u : 1u)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string did_you_mean(const std::vector<std::string>& names, const std::string& wanted) {
  const std::string* best = nullptr;
  std::size_t best_distance = std::max<std::size_t>(1, wanted.size() / 4);
  for (const std::string& name : names) {
    if (name.size() > wanted.size() + best_distance ||
        wanted.size() > name.size() + best_distance) {
      continue;  // cannot be close enough: skip the quadratic distance
    }
    const std::size_t distance = edit_distance(name, wanted);
    if (distance <= best_distance) {
      best = &name;
      best_distance = distance;
    }
  }
  return best == nullptr ? std::string() : " (did you mean '" + *best + "'?)";
}

}  // namespace medmask::detail
