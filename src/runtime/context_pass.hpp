// What weft::Context (include/weft/context.hpp) hands to whoever computes its appends: its
// own combining batcher (runtime/context_state.hpp), or the scheduler of a backend it shares
// a model and KV pool with (runtime/scheduler.hpp). And the lock both sides take for the
// pool's bookkeeping.
#pragma once

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <span>
#include <vector>

#include "sync/mutex.hpp"

namespace weft::kv {
class KvSequence;
class PagePool;
}  // namespace weft::kv

namespace weft::runtime {

// One append waiting for (or in) a model call. Lives on the appending thread's stack.
struct ContextPass {
  kv::KvSequence* sequence = nullptr;
  std::span<const int32_t> tokens;  // the rows to compute (after any adopted prefix)
  int64_t first_position = 0;
  // Rows of `tokens` whose logits are wanted besides the last one's (any order, repeats
  // allowed); their logits come back in `row_logits`, in this order.
  std::span<const int64_t> extra_rows;
  // Empty: every row causal. Else one per row of `tokens` (ForwardRow::attention_mask; an
  // empty one is causal).
  std::span<const std::vector<uint8_t>> attention_masks;
  // Notified (under the pool lock) when `done` is set; set by the submitter.
  std::condition_variable* finished = nullptr;
  // Written by whoever computes the pass before `done` is set under the pool lock; read by
  // the owner after.
  std::vector<float> logits;      // the last row's next-token logits
  std::vector<float> row_logits;  // extra_rows.size() × vocabulary
  std::exception_ptr error;
  bool done = false;
};

// The attention mask of the pass's row `row` (empty: causal).
inline std::span<const uint8_t> row_attention_mask(const ContextPass& pass, size_t row) {
  if (pass.attention_masks.empty()) return {};
  return pass.attention_masks[row];
}

// The rows of a pass that return logits, ascending: the extra rows and the last one.
std::vector<int64_t> rows_with_logits(const ContextPass& pass);
// Fills the pass's logits from the model call's logits rows `first`, `first + 1`, … (its
// rows_with_logits, in order) of `row_at`.
template <typename RowAt>
void take_pass_logits(ContextPass& pass, const std::vector<int64_t>& wanted, size_t first,
                      RowAt row_at) {
  const auto last = row_at(first + wanted.size() - 1);
  pass.logits.assign(last.begin(), last.end());
  pass.row_logits.clear();
  pass.row_logits.reserve(pass.extra_rows.size() * last.size());
  for (int64_t row : pass.extra_rows) {
    const auto at =
        static_cast<size_t>(std::lower_bound(wanted.begin(), wanted.end(), row) - wanted.begin());
    const auto logits = row_at(first + at);
    pass.row_logits.insert(pass.row_logits.end(), logits.begin(), logits.end());
  }
}

// The lock over a KV pool's bookkeeping (reference counts, free list, prefix index,
// snapshots) when a scheduler and contexts share the pool, and what the scheduler has
// promised its admitted requests.
struct SharedPool {
  sync::Mutex mutex;
  // Pages admitted requests may still need (their worst case) plus the cached pages they
  // adopted. Written by the scheduler under `mutex`.
  int64_t promised_pages WEFT_GUARDED_BY(mutex) = 0;

  // Throws weft::Error(queue_full) when contexts and snapshots taking `more` pages would
  // leave fewer than the pages promised to admitted requests.
  void check_growth(const kv::PagePool& pool, int64_t more) const WEFT_REQUIRES(mutex);
};

}  // namespace weft::runtime
