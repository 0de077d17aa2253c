// One request in the scheduler (runtime/scheduler.hpp): a generation or an embedding, with its
// sequence and page accounting. Internal to the scheduler's files.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "runtime/embedding_job.hpp"
#include "runtime/generator.hpp"
#include "runtime/scheduler.hpp"

namespace weft::runtime {

struct Scheduler::Entry {
  // Exactly one of the two: a generation or an embedding.
  std::unique_ptr<Generator> generator;
  std::unique_ptr<EmbeddingJob> embedding;
  std::optional<kv::KvSequence> sequence;  // created at admission
  std::vector<tokenizer::TokenId> suppressed;
  // Kept for the prefix cache and the draft model (empty when neither is used).
  std::vector<tokenizer::TokenId> prompt;
  std::vector<kv::PageId> adopted;  // cached pages this request started with
  int64_t published_pages = 0;      // prompt pages already offered to the cache
  int64_t pages_needed = 0;
  int64_t pages_committed = 0;  // pages it may acquire itself, once admitted
  bool deferred = false;        // already counted in SchedulerStats::deferred
  // Draft-model speculation: the most drafts per decode (0: none), and the draft engine's
  // sequence with the tokens it holds (the settled tokens, then perhaps drafts).
  uint32_t model_drafts = 0;
  std::optional<kv::KvSequence> draft_sequence;
  std::vector<tokenizer::TokenId> draft_held;

  // Prefill is done and the pending input is the last sampled token (and its drafts).
  bool decoding() const { return generator && generator->decoding(); }
  bool finished() const { return generator ? generator->finished() : embedding->finished(); }
  std::span<const tokenizer::TokenId> pending_input() const {
    return generator ? generator->pending_input() : embedding->pending_input();
  }
  int64_t position() const { return generator ? generator->position() : embedding->position(); }
  void consume_input(size_t count) {
    if (generator) {
      generator->consume_input(count);
    } else {
      embedding->consume_input(count);
    }
  }
  void fail(ErrorCode code, const std::string& message) {
    if (generator) {
      generator->fail(code, message);
    } else {
      embedding->fail(code, message);
    }
  }
};

}  // namespace weft::runtime
