// weft::NgramSpeculator (include/weft/speculator.hpp).
#include <algorithm>

#include "weft/error.hpp"
#include "weft/speculator.hpp"

namespace weft {

NgramSpeculator::NgramSpeculator(size_t n, size_t max_draft) : n_(n), max_draft_(max_draft) {
  if (n < 2) throw Error("an n-gram speculator needs n >= 2 (got " + std::to_string(n) + ")");
  if (max_draft < 1) throw Error("an n-gram speculator needs max_draft >= 1");
}

std::vector<int32_t> NgramSpeculator::draft() {
  const auto& h = history_;
  if (h.size() < 2) return {};
  for (size_t size = std::min(n_ - 1, h.size() - 1); size >= 1; --size) {
    const auto suffix = std::span(h).last(size);
    // Latest occurrence first: recent text predicts the continuation best.
    for (size_t start = h.size() - size; start-- > 0;) {
      if (!std::ranges::equal(std::span(h).subspan(start, size), suffix)) continue;
      const size_t follow = start + size;
      const size_t end = std::min(follow + max_draft_, h.size());
      if (follow < end)
        return {h.begin() + static_cast<std::ptrdiff_t>(follow),
                h.begin() + static_cast<std::ptrdiff_t>(end)};
    }
  }
  return {};
}

void NgramSpeculator::accept(std::span<const int32_t> tokens) {
  history_.insert(history_.end(), tokens.begin(), tokens.end());
}

}  // namespace weft
