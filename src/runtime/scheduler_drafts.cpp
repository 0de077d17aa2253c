// Draft-model speculation in the scheduler (runtime/scheduler.hpp): the drafts of every stream
// that decodes in the coming model call come from k batched calls of the draft engine.
#include <algorithm>
#include <exception>
#include <limits>
#include <span>
#include <vector>

#include "runtime/scheduler.hpp"
#include "runtime/scheduler_entry.hpp"

namespace weft::runtime {
namespace {

// The draft model's most likely token among the vocabulary's (the lowest id among equals),
// never a token the request suppresses: the target never samples one.
tokenizer::TokenId likeliest_draft(std::span<const float> logits,
                                   std::span<const tokenizer::TokenId> suppressed) {
  float best = -std::numeric_limits<float>::infinity();
  tokenizer::TokenId token = 0;
  for (size_t id = 0; id < logits.size(); ++id) {
    if (logits[id] <= best) continue;
    if (std::ranges::find(suppressed, static_cast<tokenizer::TokenId>(id)) != suppressed.end())
      continue;
    best = logits[id];
    token = static_cast<tokenizer::TokenId>(id);
  }
  return token;
}

}  // namespace

void Scheduler::draft_with_model(size_t first, uint32_t decode_budget, uint32_t draft_rows) {
  auto& pool = draft_engine_->pages();
  const int64_t page_tokens = pool.page_tokens();
  const int64_t draft_context = draft_engine_->config().context_length;
  int64_t free_pages = pool.free_pages();
  // The first draft call carries every stream's catch-up: at most a prefill chunk each, and a
  // call's rows in all (a stream whose catch-up is longer goes on next step, without drafts).
  int64_t catch_up_budget = options_.max_batch_tokens;

  // One stream drafting in this step.
  struct DraftingStream {
    Entry* entry;
    size_t wanted;                         // drafts to make at most
    std::vector<tokenizer::TokenId> feed;  // the next draft call's tokens for this stream
    std::vector<tokenizer::TokenId> drafts;
    bool drafting = true;  // still asking for drafts (false: done, or its catch-up goes on)
  };

  std::vector<DraftingStream> streams;
  const size_t n_live = live_.size();
  uint32_t decode_rows = 0;
  for (size_t k = 0; k < n_live && decode_rows < decode_budget && draft_rows > 0; ++k) {
    auto& entry = *live_[(first + k) % n_live];
    if (!entry.decoding()) continue;
    ++decode_rows;
    if (entry.model_drafts == 0) {
      // A lookup's drafts, already pending, take their rows first in the call too.
      const auto pending = static_cast<uint32_t>(entry.pending_input().size());
      const uint32_t lookup_drafts = pending > 0 ? pending - 1 : 0;
      draft_rows -= std::min(draft_rows, lookup_drafts);
      continue;
    }
    auto& generator = *entry.generator;
    // The settled tokens: the prompt and every token generated, the last one (the decode's
    // own token) not yet in the target's cache either.
    std::vector<tokenizer::TokenId> history = entry.prompt;
    const auto generated = generator.generated();
    history.insert(history.end(), generated.begin(), generated.end());
    const auto settled = static_cast<int64_t>(history.size());
    // The last draft fed sits at settled + wanted − 2, inside the draft model's context.
    size_t wanted = std::min<size_t>({entry.model_drafts, generator.draft_room(), draft_rows});
    wanted = std::min<size_t>(wanted,
                              static_cast<size_t>(std::max<int64_t>(draft_context - settled, 0)));
    if (wanted == 0) continue;

    if (!entry.draft_sequence) entry.draft_sequence.emplace(draft_engine_->new_sequence());
    auto& held = entry.draft_held;
    // Refused drafts go; the last settled token is fed again when the cache holds it already
    // (a draft cut by the row budget that the target then sampled), since its logits are
    // what the first draft comes from.
    auto common = static_cast<int64_t>(std::ranges::mismatch(held, history).in1 - held.begin());
    common = std::min(common, settled - 1);
    if (common < static_cast<int64_t>(held.size())) {
      entry.draft_sequence->truncate(common);
      held.resize(static_cast<size_t>(common));
    }
    const int64_t missing = settled - common;
    const int64_t chunk =
        std::min<int64_t>({missing, options_.prefill_chunk, std::max<int64_t>(catch_up_budget, 0)});
    if (chunk == 0) continue;
    const bool caught_up = chunk == missing;
    // Slots the stream fills this step: its catch-up, then its drafts but the last.
    const int64_t end = common + chunk + (caught_up ? static_cast<int64_t>(wanted) - 1 : 0);
    const int64_t more_pages = (end + page_tokens - 1) / page_tokens -
                               static_cast<int64_t>(entry.draft_sequence->pages().size());
    if (more_pages > free_pages) continue;  // no drafts rather than a failed request
    free_pages -= std::max<int64_t>(more_pages, 0);
    catch_up_budget -= chunk;
    DraftingStream stream{&entry, caught_up ? wanted : 0, {}, {}, caught_up};
    stream.feed.assign(history.begin() + common, history.begin() + common + chunk);
    streams.push_back(std::move(stream));
    if (caught_up) draft_rows -= static_cast<uint32_t>(wanted);
  }
  if (streams.empty()) return;

  std::vector<ForwardRow> rows;
  ForwardOutputs outputs;
  const auto vocabulary = static_cast<size_t>(tokenizer_->vocab_size());
  for (bool first_call = true;; first_call = false) {
    rows.clear();
    for (auto& stream : streams) {
      if (!first_call && !stream.drafting) continue;
      auto& sequence = *stream.entry->draft_sequence;
      const auto start = static_cast<int64_t>(stream.entry->draft_held.size());
      for (size_t i = 0; i < stream.feed.size(); ++i) {
        rows.push_back({&sequence, stream.feed[i], start + static_cast<int64_t>(i),
                        stream.drafting && i + 1 == stream.feed.size(), false});
      }
    }
    if (rows.empty()) break;
    try {
      for (size_t i = 0; i < rows.size(); ++i) {
        if (i + 1 == rows.size() || rows[i + 1].sequence != rows[i].sequence) {
          rows[i].sequence->reserve(rows[i].position + 1);
        }
      }
      draft_engine_->forward(rows, outputs);
    } catch (const std::exception&) {
      // The draft caches of this call are unknown now: they start again from nothing, and
      // this step proposes no drafts. The requests go on without them.
      for (auto& stream : streams) {
        stream.entry->draft_sequence.reset();
        stream.entry->draft_held.clear();
      }
      return;
    }
    ++draft_steps_;
    draft_rows_ += rows.size();
    size_t output = 0;
    for (auto& stream : streams) {
      if (!first_call && !stream.drafting) continue;
      auto& held = stream.entry->draft_held;
      held.insert(held.end(), stream.feed.begin(), stream.feed.end());
      stream.feed.clear();
      if (!stream.drafting) continue;
      const auto token =
          likeliest_draft(outputs.logits_at(output++).first(vocabulary), stream.entry->suppressed);
      stream.drafts.push_back(token);
      // Nothing the target keeps follows an end-of-generation token.
      if (stream.drafts.size() == stream.wanted || tokenizer_->is_end_of_generation(token)) {
        stream.drafting = false;
      } else {
        stream.feed.push_back(token);
      }
    }
  }
  for (auto& stream : streams) {
    if (!stream.drafts.empty()) stream.entry->generator->propose_drafts(std::move(stream.drafts));
  }
}

}  // namespace weft::runtime
