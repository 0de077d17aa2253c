#include "runtime/context_pass.hpp"

#include <string>

#include "kv/page_pool.hpp"
#include "weft/error.hpp"

namespace weft::runtime {

std::vector<int64_t> rows_with_logits(const ContextPass& pass) {
  std::vector<int64_t> rows(pass.extra_rows.begin(), pass.extra_rows.end());
  rows.push_back(static_cast<int64_t>(pass.tokens.size()) - 1);
  std::ranges::sort(rows);
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

void SharedPool::check_growth(const kv::PagePool& pool, int64_t more) const {
  const int64_t available = pool.capacity() - promised_pages - pool.outside_pages();
  if (more > available) {
    throw Error(ErrorCode::queue_full,
                "the KV pool has no room for " + std::to_string(more) +
                    " more context pages: of its " + std::to_string(pool.capacity()) + " pages, " +
                    std::to_string(promised_pages) + " are promised to running requests and " +
                    std::to_string(pool.outside_pages()) +
                    " are held by contexts and snapshots; release some, or retry later");
  }
}

}  // namespace weft::runtime
