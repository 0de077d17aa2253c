#include "runtime/scheduler.hpp"

#include <algorithm>
#include <condition_variable>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "runtime/embedding_job.hpp"
#include "runtime/generator.hpp"
#include "runtime/sampler.hpp"
#include "runtime/scheduler_entry.hpp"
#include "sync/mutex.hpp"
#include "weft/error.hpp"
#include "weft/speculator.hpp"

namespace weft::runtime {

struct Scheduler::Shared {
  sync::Mutex mutex;
  std::condition_variable wake;
  std::condition_variable synced;
  std::deque<std::unique_ptr<Entry>> arrivals WEFT_GUARDED_BY(mutex);
  std::vector<ContextPass*> context_passes
      WEFT_GUARDED_BY(mutex);  // submitted, not yet taken by a turn
  bool stopping WEFT_GUARDED_BY(mutex) = false;
  bool wake_pending WEFT_GUARDED_BY(mutex) = false;
  bool held WEFT_GUARDED_BY(mutex) = false;
  bool clear_prefix_cache WEFT_GUARDED_BY(mutex) = false;
  uint64_t turns_started WEFT_GUARDED_BY(mutex) = 0;
  uint64_t turns_finished WEFT_GUARDED_BY(mutex) = 0;
  SchedulerStats stats WEFT_GUARDED_BY(mutex);

  void poke() {
    {
      sync::MutexLock lock(mutex);
      wake_pending = true;
    }
    wake.notify_all();
  }
};

namespace {

// A lookup speculator for the generator when the request asks for one; bad settings fail it.
// Draft-model speculation needs no speculator: the scheduler proposes the drafts.
void start_speculation(Generator& generator, const LookupSpeculation& speculation,
                       bool has_draft_model) {
  if (!speculation.enabled()) return;
  if (speculation.draft_model) {
    if (speculation.ngram != 0) {
      generator.fail(ErrorCode::invalid_request,
                     "speculation takes drafts from prompt lookup or from a draft model, not both");
    } else if (!has_draft_model) {
      generator.fail(ErrorCode::invalid_request,
                     "draft-model speculation was asked for, but no draft model is loaded");
    } else if (speculation.draft_tokens < 1 || speculation.draft_tokens > 64) {
      generator.fail(
          ErrorCode::invalid_request,
          "draft tokens must be 1..64 (got " + std::to_string(speculation.draft_tokens) + ")");
    }
    return;
  }
  try {
    generator.speculate_with(
        std::make_unique<NgramSpeculator>(speculation.ngram, speculation.draft_tokens));
  } catch (const Error& error) {
    generator.fail(ErrorCode::invalid_request, error.what());
  }
}

std::future<std::vector<float>> failed_embedding(const std::string& message) {
  std::promise<std::vector<float>> failed;
  failed.set_exception(std::make_exception_ptr(Error(ErrorCode::invalid_request, message)));
  return failed.get_future();
}

}  // namespace

Scheduler::Scheduler(std::unique_ptr<Engine> engine,
                     std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
                     SchedulerOptions options, std::unique_ptr<Engine> draft_engine)
    : engine_(std::move(engine)),
      draft_engine_(std::move(draft_engine)),
      tokenizer_(std::move(tokenizer)),
      grammars_(std::make_shared<grammar::GrammarCache>(*tokenizer_)),
      options_(std::move(options)),
      config_(engine_->config()),
      shared_(std::make_shared<Shared>()) {
  if (options_.max_batch_tokens == 0) throw Error("scheduler: max_batch_tokens must be positive");
  if (options_.prefill_chunk == 0) throw Error("scheduler: prefill_chunk must be positive");
  if (options_.max_sequences == 0) throw Error("scheduler: max_sequences must be positive");
  if (draft_engine_ && draft_engine_->config().n_vocab < tokenizer_->vocab_size()) {
    throw Error(ErrorCode::invalid_request, "scheduler: the draft model's output has " +
                                                std::to_string(draft_engine_->config().n_vocab) +
                                                " rows, fewer than the vocabulary's " +
                                                std::to_string(tokenizer_->vocab_size()) +
                                                " tokens");
  }
  shared_->stats.pages_capacity = engine_->pages().capacity();
  if (options_.prefix_cache) prefix_ = std::make_unique<kv::PrefixIndex>(engine_->pages());
  thread_ = std::thread([this] { run(); });
}

Scheduler::~Scheduler() {
  {
    sync::MutexLock lock(shared_->mutex);
    shared_->stopping = true;
  }
  shared_->wake.notify_all();
  thread_.join();
}

GenerationStream Scheduler::submit(SchedulerRequest request) {
  GenerationChannel channel(options_.backend_name);
  GenerationStream stream(channel.state());
  // A cancel must free the pages at once, even while the scheduler sleeps; the hook may run
  // after the scheduler is gone, hence the weak pointer.
  channel.on_cancel([weak = std::weak_ptr<Shared>(shared_)] {
    if (auto shared = weak.lock()) shared->poke();
  });

  if (config_.encoder) {
    GenerationChannel failed(options_.backend_name);
    GenerationStream failed_stream(failed.state());
    failed.error(ErrorCode::invalid_request,
                 config_.architecture_name +
                     " is an embedding model: use weft embed / /v1/embeddings (it cannot "
                     "generate text)");
    return failed_stream;
  }
  auto entry = std::make_unique<Entry>();
  const auto prompt_tokens = static_cast<int64_t>(request.prompt.size());
  const int64_t max_tokens = request.options.max_tokens;
  // The draft model is fed the prompt too, from its own cache.
  if (prefix_ || request.speculation.draft_model) entry->prompt = request.prompt;
  GeneratorSettings settings;
  settings.context_length = static_cast<uint32_t>(config_.context_length);
  settings.grammars = grammars_;
  entry->generator = std::make_unique<Generator>(*tokenizer_, request.options,
                                                 std::move(request.prompt), channel, settings);
  start_speculation(*entry->generator, request.speculation, draft_engine_ != nullptr);
  if (request.speculation.draft_model) entry->model_drafts = request.speculation.draft_tokens;
  entry->suppressed = std::move(request.suppressed_tokens);
  for (auto token : entry->suppressed) {
    if (token < 0 || token >= tokenizer_->vocab_size()) {
      entry->generator->fail(ErrorCode::invalid_request,
                             "suppressed token id " + std::to_string(token) +
                                 " is outside the vocabulary of " +
                                 std::to_string(tokenizer_->vocab_size()) + " tokens");
    }
  }
  // The generator never feeds a token past the context length, and the last sampled token
  // is never fed, so prompt + max_tokens (capped at the context) bounds the slots it fills.
  const int64_t tokens = std::min(prompt_tokens + max_tokens, config_.context_length);
  const int64_t page_tokens = engine_->pages().page_tokens();
  entry->pages_needed = (tokens + page_tokens - 1) / page_tokens;
  const int64_t capacity = engine_->pages().capacity();
  if (entry->pages_needed > capacity) {
    entry->generator->fail(
        ErrorCode::invalid_request,
        "the request needs up to " + std::to_string(tokens) + " KV slots (" +
            std::to_string(prompt_tokens) + " prompt + " + std::to_string(max_tokens) +
            " max tokens) = " + std::to_string(entry->pages_needed) +
            " pages, but the whole KV pool holds only " + std::to_string(capacity) + " pages of " +
            std::to_string(page_tokens) + " tokens; lower max_tokens or shorten the prompt");
  }
  if (entry->generator->finished()) return stream;  // its error is already on the stream
  enqueue(std::move(entry));
  return stream;
}

std::future<std::vector<float>> Scheduler::embed(std::vector<tokenizer::TokenId> tokens,
                                                 Pooling pooling) {
  const auto n_tokens = static_cast<int64_t>(tokens.size());
  if (tokens.empty()) return failed_embedding("an embedding input needs at least one token");
  if (n_tokens > config_.context_length) {
    return failed_embedding("the input has " + std::to_string(n_tokens) +
                            " tokens, more than the context length of " +
                            std::to_string(config_.context_length));
  }
  for (auto token : tokens) {
    if (token < 0 || token >= config_.n_vocab) {
      return failed_embedding("token id " + std::to_string(token) +
                              " is outside the vocabulary of " + std::to_string(config_.n_vocab) +
                              " tokens");
    }
  }
  auto entry = std::make_unique<Entry>();
  entry->embedding =
      std::make_unique<EmbeddingJob>(std::move(tokens), pooling, config_.n_embd, config_.encoder);
  auto result = entry->embedding->future();
  if (config_.encoder) {  // runs whole, without KV pages (encode_embeddings)
    enqueue(std::move(entry));
    return result;
  }
  const int64_t page_tokens = engine_->pages().page_tokens();
  const auto fed = static_cast<int64_t>(entry->embedding->pending_input().size());
  entry->pages_needed = (fed + page_tokens - 1) / page_tokens;
  const int64_t capacity = engine_->pages().capacity();
  if (entry->pages_needed > capacity) {
    return failed_embedding("the input needs " + std::to_string(entry->pages_needed) +
                            " KV pages, but the whole KV pool holds only " +
                            std::to_string(capacity));
  }
  enqueue(std::move(entry));
  return result;
}

void Scheduler::enqueue(std::unique_ptr<Entry> entry) {
  {
    sync::MutexLock lock(shared_->mutex);
    if (shared_->stopping) {
      entry->fail(ErrorCode::backend_unavailable, "the scheduler is shutting down");
      return;
    }
    shared_->arrivals.push_back(std::move(entry));
  }
  shared_->wake.notify_all();
}

SchedulerStats Scheduler::stats() const {
  sync::MutexLock lock(shared_->mutex);
  return shared_->stats;
}

void Scheduler::sync() {
  sync::MutexLock lock(shared_->mutex);
  const uint64_t target = shared_->turns_started + 1;
  shared_->wake_pending = true;
  shared_->wake.notify_all();
  while (shared_->turns_finished < target && !shared_->stopping && !shared_->held) {
    lock.wait(shared_->synced);
  }
}

void Scheduler::hold(bool held) {
  {
    sync::MutexLock lock(shared_->mutex);
    shared_->held = held;
  }
  shared_->wake.notify_all();
  shared_->synced.notify_all();
}

void Scheduler::clear_prefix_cache() {
  {
    sync::MutexLock lock(shared_->mutex);
    shared_->clear_prefix_cache = true;
  }
  sync();
}

void Scheduler::run() {
  while (begin_turn()) {
    {
      sync::MutexLock pool_lock(pool_.mutex);
      if (std::exchange(clear_prefix_cache_, false) && prefix_) prefix_->clear();
      drop_finished();
      admit();
      publish_promise();
      if (!live_.empty() || !context_passes_.empty()) step(pool_lock);
      drop_finished();
      publish_promise();
      // Read here: contexts change the pool and the cache under this lock.
      pages_in_use_ = engine_->pages().pages_in_use();
      pages_cached_ = prefix_ ? static_cast<int64_t>(prefix_->cached_pages()) : 0;
    }
    end_turn();
  }
  const sync::MutexLock pool_lock(pool_.mutex);
  finish_all("the scheduler stopped before this generation finished");
}

void Scheduler::publish_promise() {
  pool_.promised_pages = committed_pages_ + static_cast<int64_t>(pinned_.size());
}

// The lock comes by reference, which the analysis cannot follow (see step()).
void Scheduler::run_context_pass(ContextPass& pass,
                                 sync::MutexLock& pool_lock) WEFT_NO_THREAD_SAFETY_ANALYSIS {
  pass.finished = &context_pass_done_;
  {
    const sync::MutexLock lock(shared_->mutex);
    if (shared_->stopping) {
      pass.error = std::make_exception_ptr(
          Error(ErrorCode::backend_unavailable, "the scheduler is shutting down"));
      return;
    }
    shared_->context_passes.push_back(&pass);
  }
  shared_->wake.notify_all();
  while (!pass.done) pool_lock.wait(context_pass_done_);
}

size_t Scheduler::submitted_context_passes() const {
  const sync::MutexLock lock(shared_->mutex);
  return shared_->context_passes.size();
}

void Scheduler::add_context_rows(std::vector<ForwardRow>& rows, std::vector<ContextPass*>& passes,
                                 std::vector<std::vector<int64_t>>& wanted) {
  auto& pool = engine_->pages();
  const int64_t page_tokens = pool.page_tokens();
  for (auto* pass : context_passes_) {
    auto& sequence = *pass->sequence;
    const int64_t end = pass->first_position + static_cast<int64_t>(pass->tokens.size());
    try {
      // The pages it lacks, and one more in case its partly filled tail is shared.
      const int64_t more =
          (end + page_tokens - 1) / page_tokens - static_cast<int64_t>(sequence.pages().size()) + 1;
      pool_.check_growth(pool, std::max<int64_t>(more, 0));
      sequence.reserve(end);
    } catch (...) {
      pass->error = std::current_exception();
      sequence.truncate(sequence.length());  // what it did get goes back now
      pass->done = true;
      continue;
    }
    auto rows_wanted = rows_with_logits(*pass);
    for (size_t i = 0; i < pass->tokens.size(); ++i) {
      const bool logits = std::ranges::binary_search(rows_wanted, static_cast<int64_t>(i));
      rows.push_back({&sequence, pass->tokens[i], pass->first_position + static_cast<int64_t>(i),
                      logits, false});
      rows.back().attention_mask = row_attention_mask(*pass, i);
    }
    passes.push_back(pass);
    wanted.push_back(std::move(rows_wanted));
  }
  context_passes_.clear();
}

void Scheduler::finish_context_passes(std::span<ContextPass* const> passes) {
  for (auto* pass : passes) pass->done = true;
  context_pass_done_.notify_all();
}

bool Scheduler::begin_turn() {
  sync::MutexLock lock(shared_->mutex);
  // Waiting requests count too: the last step may have just freed room for them.
  const auto has_work = [&]() WEFT_REQUIRES(shared_->mutex) {
    if (shared_->stopping) return true;
    if (shared_->held) return false;
    return shared_->wake_pending || !shared_->arrivals.empty() ||
           !shared_->context_passes.empty() || !live_.empty() || !waiting_.empty();
  };
  while (!has_work()) lock.wait(shared_->wake);
  if (shared_->stopping) return false;
  shared_->wake_pending = false;
  ++shared_->turns_started;
  clear_prefix_cache_ = std::exchange(shared_->clear_prefix_cache, false);
  for (auto& entry : shared_->arrivals) waiting_.push_back(std::move(entry));
  shared_->arrivals.clear();
  context_passes_.insert(context_passes_.end(), shared_->context_passes.begin(),
                         shared_->context_passes.end());
  shared_->context_passes.clear();
  return true;
}

void Scheduler::end_turn() {
  {
    sync::MutexLock lock(shared_->mutex);
    auto& stats = shared_->stats;
    stats.pages_in_use = pages_in_use_;
    stats.pages_committed = committed_pages_ + static_cast<int64_t>(pinned_.size());
    stats.pages_cached = pages_cached_;
    stats.prompt_tokens_cached = prompt_tokens_cached_;
    stats.prompt_tokens_computed = prompt_tokens_computed_;
    stats.live = static_cast<uint32_t>(live_.size());
    stats.waiting = static_cast<uint32_t>(waiting_.size() + shared_->arrivals.size());
    stats.deferred = deferred_;
    stats.steps = steps_;
    stats.rows = rows_;
    stats.drafted = drafted_;
    stats.accepted = accepted_;
    stats.draft_steps = draft_steps_;
    stats.draft_rows = draft_rows_;
    stats.draft_pages_in_use = draft_engine_ ? draft_engine_->pages().pages_in_use() : 0;
    ++shared_->turns_finished;
  }
  shared_->synced.notify_all();
}

void Scheduler::drop_finished() {
  // Destroying an entry destroys its KvSequence, which returns its pages to the pool.
  std::erase_if(live_, [&](const std::unique_ptr<Entry>& entry) {
    if (!entry->finished()) return false;
    committed_pages_ -= entry->pages_committed;
    unpin(*entry);
    return true;
  });
  std::erase_if(waiting_, [](const auto& entry) { return entry->finished(); });
  if (decode_cursor_ >= live_.size()) decode_cursor_ = 0;
}

// Every page a live sequence holds is either one it acquired itself (at most its
// pages_committed) or an adopted cached page (in pinned_). So while committed + pinned stays
// within the capacity, every other page in use is held by the prefix cache alone, and the
// pool's reclaimer can always evict one when a sequence needs a page: no running sequence
// ever finds the pool empty, and cached pages never keep a request out.
void Scheduler::admit() {
  const int64_t capacity = engine_->pages().capacity();
  const int64_t page_tokens = engine_->pages().page_tokens();
  // Strictly first come, first served: when the oldest waiting request does not fit, later
  // (perhaps smaller) ones wait behind it, so it is never starved by a stream of small ones.
  while (!waiting_.empty() && live_.size() < options_.max_sequences) {
    auto& next = waiting_.front();
    kv::PrefixIndex::Match cached;
    if (prefix_ && next->generator) {
      // Never the last prompt token: its logits are what the prefill is for.
      const auto& prompt = next->prompt;
      cached = prefix_->match(std::span<const int32_t>(prompt.data(), prompt.size() - 1));
    }
    const auto newly_pinned = static_cast<int64_t>(std::ranges::count_if(
        cached.pages, [&](kv::PageId page) { return !pinned_.contains(page); }));
    const int64_t own = next->pages_needed - static_cast<int64_t>(cached.pages.size());
    // Pages held by contexts and snapshots are not this scheduler's to give (see
    // runtime/context_pass.hpp); cached pages they share with requests count twice, safely.
    const int64_t outside = engine_->pages().outside_pages();
    if (committed_pages_ + static_cast<int64_t>(pinned_.size()) + newly_pinned + own + outside >
        capacity) {
      break;
    }
    next->pages_committed = own;
    committed_pages_ += own;
    next->sequence.emplace(engine_->new_sequence());
    adopt_cached_prefix(*next, cached);
    next->published_pages = cached.length / page_tokens;
    live_.push_back(std::move(next));
    waiting_.pop_front();
  }
  for (auto& entry : waiting_) {
    if (!std::exchange(entry->deferred, true)) ++deferred_;
  }
}

void Scheduler::adopt_cached_prefix(Entry& entry, const kv::PrefixIndex::Match& cached) {
  if (cached.pages.empty()) return;
  entry.sequence->adopt(cached.pages, cached.length);
  entry.generator->skip_cached_prefix(static_cast<size_t>(cached.length));
  entry.adopted = cached.pages;
  for (kv::PageId page : entry.adopted) ++pinned_[page];
  prompt_tokens_cached_ += static_cast<uint64_t>(cached.length);
}

void Scheduler::unpin(const Entry& entry) {
  for (kv::PageId page : entry.adopted) {
    const auto pin = pinned_.find(page);
    if (--pin->second == 0) pinned_.erase(pin);
  }
}

void Scheduler::publish_prompt_pages(Entry& entry) {
  const int64_t page_tokens = engine_->pages().page_tokens();
  const int64_t known =
      std::min(entry.sequence->length(), static_cast<int64_t>(entry.prompt.size()));
  if (known / page_tokens <= entry.published_pages) return;
  prefix_->publish(*entry.sequence, entry.prompt);
  entry.published_pages = known / page_tokens;
}

// The lock comes by reference, which the analysis cannot follow (see step()).
void Scheduler::encode_embeddings(sync::MutexLock& pool_lock) WEFT_NO_THREAD_SAFETY_ANALYSIS {
  std::vector<Entry*> batch;
  std::vector<std::span<const int32_t>> inputs;
  int64_t batch_rows = 0;
  for (auto& entry : live_) {
    if (!entry->embedding || entry->finished()) continue;
    const auto input = entry->pending_input();
    try {
      engine_->check_encoder_input(input);  // a bad input fails alone, not its batch
    } catch (const Error& error) {
      entry->fail(error.code(), error.what());
      continue;
    }
    const auto n_rows = static_cast<int64_t>(input.size());
    if (!batch.empty() && batch_rows + n_rows > options_.max_batch_tokens) break;  // next turn
    batch.push_back(entry.get());
    inputs.push_back(input);
    batch_rows += n_rows;
  }
  if (batch.empty()) return;
  std::vector<float> states;
  pool_lock.unlock();  // the encoder touches no page
  try {
    states = engine_->encode(inputs);
  } catch (const std::exception& error) {
    pool_lock.lock();
    const auto* known = dynamic_cast<const Error*>(&error);
    for (auto* entry : batch) {
      if (known)
        entry->fail(known->code(), known->what());
      else
        entry->fail(ErrorCode::internal, std::string("the encoder failed: ") + error.what());
    }
    return;
  }
  pool_lock.lock();
  ++steps_;
  rows_ += static_cast<uint64_t>(batch_rows);
  prompt_tokens_computed_ += static_cast<uint64_t>(batch_rows);
  const auto d = static_cast<size_t>(config_.n_embd);
  size_t first_row = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& entry = *batch[i];
    const auto n_rows = static_cast<int64_t>(inputs[i].size());
    entry.consume_input(inputs[i].size());
    for (int64_t row = 0; row < n_rows; ++row) {
      if (!entry.embedding->wants_hidden(row)) continue;
      entry.embedding->on_hidden(row, std::span<const float>(states).subspan(
                                          (first_row + static_cast<size_t>(row)) * d, d));
    }
    first_row += inputs[i].size();
  }
}

// The caller's lock comes by reference and is released around the model call; the analysis
// cannot follow a lock through a reference, so it checks the callers (WEFT_REQUIRES) only.
void Scheduler::step(sync::MutexLock& pool_lock) WEFT_NO_THREAD_SAFETY_ANALYSIS {
  if (config_.encoder) encode_embeddings(pool_lock);
  std::vector<ForwardRow> rows;
  std::vector<Entry*> in_batch;
  // An entry whose logits rows are outputs [first, first + rows).
  struct LogitOwner {
    Entry* entry;
    size_t first;
    size_t rows;
  };
  std::vector<LogitOwner> logit_owners;
  std::vector<Entry*> hidden_owners;  // in batch order, as outputs.hidden_rows
  // Context passes first, whole: their logits rows come first in the outputs.
  std::vector<ContextPass*> passes;
  std::vector<std::vector<int64_t>> pass_rows;
  add_context_rows(rows, passes, pass_rows);
  size_t context_logit_rows = 0;
  for (const auto& wanted : pass_rows) context_logit_rows += wanted.size();
  uint32_t budget =
      options_.max_batch_tokens -
      std::min<uint32_t>(options_.max_batch_tokens, static_cast<uint32_t>(rows.size()));
  size_t logit_outputs = context_logit_rows;

  // False when the entry has no longer `count` tokens of input: a client's cancel, from its
  // own thread, finishes a generator at any moment, and its pending input is empty from then
  // on (a soak crashed reading input[0] of that empty span). It is dropped at the turn's end.
  const auto add_rows = [&](Entry& entry, size_t count) {
    const auto input = entry.pending_input();
    if (input.size() < count) return false;
    for (size_t i = 0; i < count; ++i) {
      ForwardRow row{&*entry.sequence, input[i], entry.position() + static_cast<int64_t>(i)};
      if (entry.embedding && entry.embedding->wants_hidden(row.position)) {
        row.want_hidden = true;
        hidden_owners.push_back(&entry);
      }
      rows.push_back(row);
    }
    entry.consume_input(count);
    if (entry.generator && entry.generator->needs_logits()) {
      // The last row's, and each draft's before it.
      const size_t wanted = entry.generator->logit_rows();
      for (size_t i = rows.size() - wanted; i < rows.size(); ++i) rows[i].want_logits = true;
      logit_owners.push_back({&entry, logit_outputs, wanted});
      logit_outputs += wanted;
    }
    in_batch.push_back(&entry);
    budget -= static_cast<uint32_t>(count);
    return true;
  };

  // Decodes first (one row each, and a row per draft as far as the budget goes), starting
  // where the last step's decodes stopped, so that with a budget smaller than the number of
  // decodes every sequence gets its turn. While a prompt waits for its prefill, one row of the
  // budget is kept for it: otherwise decodes filling the budget would hold a newly admitted
  // request back until they all ended. With a budget of one row, that row alternates between
  // the decodes and the prefills.
  const bool prefill_waiting = std::ranges::any_of(live_, [](const auto& entry) {
    return !entry->decoding() && !entry->pending_input().empty();
  });
  uint32_t decode_budget = budget;
  if (prefill_waiting) decode_budget = budget > 1 ? budget - 1 : static_cast<uint32_t>(steps_ % 2);
  const size_t n_live = live_.size();
  // Drafts only take the rows every decode's own token leaves: speculation never holds a
  // plain decode back.
  const auto decodes = static_cast<uint32_t>(
      std::ranges::count_if(live_, [](const auto& entry) { return entry->decoding(); }));
  uint32_t draft_rows = decode_budget - std::min(decode_budget, decodes);
  uint32_t decode_rows = 0;
  // From where the last step's decodes stopped (decode_cursor_ moves on below, for the next
  // step only: taking it as the start inside the loop skipped every other sequence).
  const size_t first = decode_cursor_;
  if (draft_engine_ && draft_rows > 0) {
    pool_lock.unlock();  // the draft engine's pool is this thread's alone
    draft_with_model(first, decode_budget, draft_rows);
    pool_lock.lock();
  }
  for (size_t k = 0; k < n_live && decode_rows < decode_budget; ++k) {
    const size_t index = (first + k) % n_live;
    auto& entry = *live_[index];
    if (!entry.decoding()) continue;
    entry.generator->limit_drafts(draft_rows);
    const auto count = static_cast<uint32_t>(entry.pending_input().size());
    if (count == 0 || !add_rows(entry, count)) continue;
    decode_rows += count;
    draft_rows -= count - 1;
    decode_cursor_ = (index + 1) % n_live;
  }
  // Then prefill chunks, oldest request first.
  for (auto& entry : live_) {
    if (budget == 0) break;
    if (entry->decoding()) continue;
    if (config_.encoder && entry->embedding) continue;  // encode_embeddings' next turn
    const size_t pending = entry->pending_input().size();
    const size_t chunk = std::min<size_t>({pending, options_.prefill_chunk, budget});
    if (chunk == 0 || !add_rows(*entry, chunk)) continue;
    prompt_tokens_computed_ += chunk;
  }
  if (rows.empty()) {
    finish_context_passes(passes);
    return;
  }

  ForwardOutputs& outputs = step_outputs_;
  try {
    // Pages are taken here, under the pool lock, so that the model call finds them in place
    // (a shared tail already made private) and touches no bookkeeping.
    // A sequence's rows are consecutive and ascending: reserve once, at its last row.
    for (size_t i = 0; i < rows.size(); ++i) {
      if (i + 1 == rows.size() || rows[i + 1].sequence != rows[i].sequence) {
        rows[i].sequence->reserve(rows[i].position + 1);
      }
    }
    pool_lock.unlock();
    try {
      engine_->forward(rows, outputs);
    } catch (...) {
      pool_lock.lock();
      throw;
    }
    pool_lock.lock();
  } catch (const std::exception& error) {
    // Admission makes running out of pages impossible; anything else is a bug or a fault of
    // the model call, and every sequence in it has an unknown cache now.
    for (auto* entry : in_batch) {
      entry->fail(ErrorCode::internal, std::string("the model call failed: ") + error.what());
    }
    for (auto* pass : passes) pass->error = std::current_exception();
    finish_context_passes(passes);
    return;
  }
  ++steps_;
  rows_ += rows.size();
  size_t output = 0;
  for (size_t p = 0; p < passes.size(); ++p) {
    take_pass_logits(*passes[p], pass_rows[p], output,
                     [&](size_t row) { return outputs.logits_at(row); });
    output += pass_rows[p].size();
  }
  finish_context_passes(passes);

  const auto width = static_cast<size_t>(outputs.n_vocab);
  for (const auto& owner : logit_owners) {
    const auto logits =
        std::span<float>(outputs.logits).subspan(owner.first * width, owner.rows * width);
    take_logits(*owner.entry, logits, owner.rows, width);
  }
  for (size_t i = 0; i < hidden_owners.size(); ++i) {
    const auto& row = rows[static_cast<size_t>(outputs.hidden_rows[i])];
    hidden_owners[i]->embedding->on_hidden(row.position, outputs.hidden_at(i));
  }
  if (prefix_) {
    for (auto* entry : in_batch) {
      if (entry->generator) publish_prompt_pages(*entry);
    }
  }
}

void Scheduler::take_logits(Entry& entry, std::span<float> logits, size_t rows, size_t width) {
  for (size_t row = 0; row < rows; ++row) {
    for (auto token : entry.suppressed)
      logits[row * width + static_cast<size_t>(token)] = -std::numeric_limits<float>::infinity();
  }
  auto& generator = *entry.generator;
  const auto before = generator.speculation();
  generator.on_logits(logits, scratch_);
  drafted_ += generator.speculation().drafted - before.drafted;
  accepted_ += generator.speculation().accepted - before.accepted;
  // Refused drafts' rows; the pages they alone filled go back to the pool at once.
  if (entry.sequence->length() > generator.position())
    entry.sequence->truncate(generator.position());
}

void Scheduler::finish_all(const std::string& message) {
  {
    sync::MutexLock lock(shared_->mutex);
    for (auto& entry : shared_->arrivals) waiting_.push_back(std::move(entry));
    shared_->arrivals.clear();
    context_passes_.insert(context_passes_.end(), shared_->context_passes.begin(),
                           shared_->context_passes.end());
    shared_->context_passes.clear();
  }
  for (auto* pass : context_passes_) {
    pass->error = std::make_exception_ptr(Error(ErrorCode::backend_unavailable, message));
  }
  finish_context_passes(context_passes_);
  context_passes_.clear();
  for (auto& entry : live_) entry->fail(ErrorCode::backend_unavailable, message);
  for (auto& entry : waiting_) entry->fail(ErrorCode::backend_unavailable, message);
  live_.clear();  // sequences go back to the pool before the engine is destroyed
  waiting_.clear();
  committed_pages_ = 0;
  pinned_.clear();
  publish_promise();
  if (prefix_) prefix_->clear();
  sync::MutexLock lock(shared_->mutex);
  shared_->stats.pages_in_use = engine_->pages().pages_in_use();
  shared_->stats.pages_committed = 0;
  shared_->stats.pages_cached = 0;
  shared_->stats.draft_pages_in_use = draft_engine_ ? draft_engine_->pages().pages_in_use() : 0;
  shared_->stats.live = 0;
  shared_->stats.waiting = 0;
  shared_->synced.notify_all();
}

}  // namespace weft::runtime
