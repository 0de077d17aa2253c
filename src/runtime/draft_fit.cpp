#include "runtime/draft_fit.hpp"

#include <algorithm>

namespace weft::runtime {

std::optional<int32_t> fit_drafts(std::vector<int32_t>& drafts, int64_t room, int64_t vocabulary) {
  const auto most = static_cast<size_t>(std::max<int64_t>(room, 0));
  if (drafts.size() > most) drafts.resize(most);
  const auto bad = std::ranges::find_if(
      drafts, [vocabulary](int32_t token) { return token < 0 || token >= vocabulary; });
  if (bad == drafts.end()) return std::nullopt;
  return *bad;
}

std::string draft_outside_vocabulary(int32_t id, int64_t vocabulary) {
  return "the speculator drafted token id " + std::to_string(id) + ", outside the vocabulary (0.." +
         std::to_string(vocabulary - 1) + ")";
}

}  // namespace weft::runtime
