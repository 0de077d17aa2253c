// Continuous batching (DESIGN §1, §4): one thread owns the Engine, its KV page pool and every
// live sequence. Requests arrive through a queue; each step gathers the pending input of all
// live generators into ONE engine.forward call — decodes first, then prefill chunks — and
// hands each logits row back to its generator.
//
//   runtime::Scheduler scheduler(std::move(engine), tokenizer, {});
//   auto stream = scheduler.submit({.prompt = ids, .options = options});
//   while (auto event = stream.next()) ...
//
// Admission never over-commits the pool: a request is admitted only when the pages it could
// ever need (prompt + max_tokens, capped at the context length) are free of every other
// admitted request's worst case, so no running sequence can run out of pages mid-generation.
// A request that does not fit waits (FIFO: a large request is never overtaken forever); one
// that could not fit even in an empty pool ends at once with an invalid_request error.
//
// Speculative decoding (SchedulerRequest::speculation): a speculating request's decode puts its
// next token and the tokens drafted after it as consecutive rows of the same model call as the
// other streams' rows, with logits at each; its generator samples them in order and keeps the
// drafts it agrees with, and the rows past them are truncated out of its KV cache at once.
// Drafts are cut to the room max_tokens and the context leave, so a request never needs more
// slots than admission counted (prompt + max_tokens), and to the call's row budget.
//
// Draft-model speculation (a draft engine given to the constructor, requests with
// speculation.draft_model): before each model call, the streams that will decode in it and
// have rows left for drafts get their drafts from the draft model in k batched draft-model
// calls: the first carries every such stream's tokens the draft's KV cache lacks (the prompt,
// then the tokens settled since), each later one the previous draft of every stream still
// drafting. Each stream has its own sequence in the draft engine's pool, cut back to the
// settled tokens before it drafts again, so refused drafts leave no trace there. The drafts
// are the draft model's most likely tokens and are verified as the lookup's are. A stream for
// which the draft pool has no pages drafts nothing that step: drafts never fail a request.
//
// Prefix sharing (SchedulerOptions::prefix_cache, on by default): an admitted request adopts
// the longest run of cached full KV pages its prompt starts with (never its last token, whose
// logits are needed) and prefills only the rest; the full pages of every prompt are published
// to the cache as its prefill fills them, so a repeated system prompt costs its prefill once.
// Cached pages outlive their requests and are evicted least recently used when the pool runs
// short. Admission counts a cached page as free unless an admitted request has adopted it, so
// the cache never makes a request wait or fail.
//
// Embeddings (embed()) share the same model calls and pool: an embedding input is admitted
// like a prompt with max_tokens 0, prefilled in chunks beside the generations with only its
// hidden states asked for (no output matrix), pooled, and dropped at the end of the turn its
// last row ran in, which frees its pages. It neither adopts nor publishes cached prefixes:
// mean pooling needs the hidden state of every row, which a cached page does not keep.
// An encoder model's (bert, nomic-bert) input is not chunked: each turn runs the admitted
// inputs whole through Engine::encode, one at a time, with no KV pages at all; such a model
// cannot generate, so submit() fails at once.
//
// Streams are unbounded queues, so a consumer that reads slowly (or not at all) never blocks
// this thread; a cancelled or dropped stream frees its sequence's pages at the next step, and
// cancelling wakes an idle scheduler so that this happens at once.
//
// Contexts (weft::Context over context_runtime_on, runtime/context_pass.hpp) share the engine,
// the pool and the prefix cache: their appends join the next model call beside the decodes,
// whole. The pool's bookkeeping is then shared between threads, so it is done under
// shared_pool().mutex, which this thread holds for its whole turn but the model call (which
// writes only pages made private to their sequences beforehand). Pages held by contexts and
// snapshots count at admission (PagePool::outside_pages), and contexts may only take pages
// that admitted requests were not promised, so a running request never finds the pool empty.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <memory>
#include <thread>
#include <unordered_map>
#include <vector>

#include "grammar/grammar_cache.hpp"
#include "kv/prefix_index.hpp"
#include "runtime/context_pass.hpp"
#include "runtime/embedding_pooling.hpp"
#include "runtime/engine.hpp"
#include "runtime/lookup_speculation.hpp"
#include "runtime/sampler.hpp"
#include "sync/mutex.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/generation.hpp"
#include "weft/types.hpp"

namespace weft::runtime {

struct SchedulerOptions {
  // Most rows (tokens) in one model call. Decodes take one each, prefill chunks the rest;
  // while a prompt waits for its prefill, decodes leave it at least one row (with a budget of
  // one, every other call), so a batch full of decodes never holds a new request back.
  uint32_t max_batch_tokens = 512;
  // Most prompt tokens one sequence puts into one call, so that a long prompt is cut into
  // chunks and the running decodes keep flowing between them.
  uint32_t prefill_chunk = 256;
  // Most sequences generating at once (admitted); further requests wait.
  uint32_t max_sequences = 64;
  // Reuse the KV pages of earlier prompts' common prefixes (kv/prefix_index.hpp).
  bool prefix_cache = true;
  // Name put on events (DoneEvent::backend).
  std::string backend_name = "native";
};

struct SchedulerRequest {
  std::vector<tokenizer::TokenId> prompt;
  GenerationOptions options;
  // Tokens never sampled (their logits are set to −∞), e.g. end-of-generation tokens for a
  // benchmark that must produce exactly max_tokens tokens.
  std::vector<tokenizer::TokenId> suppressed_tokens;
  // Speculative decoding by prompt lookup: each decode of this request also verifies drafted
  // tokens as rows of the same model call (the tokens are the same as without it).
  LookupSpeculation speculation;
};

// A consistent picture taken by the scheduler thread after its latest step.
struct SchedulerStats {
  int64_t pages_in_use = 0;     // the pool's count: pages held by sequences or the prefix cache
  int64_t pages_committed = 0;  // worst-case pages reserved by admitted requests
  int64_t pages_capacity = 0;
  int64_t pages_cached = 0;  // pages the prefix cache holds (some may be in use by sequences too)
  // Prompt tokens over all admitted requests: adopted from the prefix cache vs computed.
  uint64_t prompt_tokens_cached = 0;
  uint64_t prompt_tokens_computed = 0;
  uint32_t live = 0;     // admitted, generating
  uint32_t waiting = 0;  // queued, not yet admitted
  // Requests that found no room (pages or a sequence slot) when they first reached admission
  // and had to wait; each counted once.
  uint64_t deferred = 0;
  uint64_t steps = 0;  // model calls so far
  uint64_t rows = 0;   // rows (tokens) over all model calls
  // Speculative decoding over all requests: drafted tokens verified, and those kept.
  uint64_t drafted = 0;
  uint64_t accepted = 0;
  // The draft model's calls (each batched over the streams drafting) and their rows.
  uint64_t draft_steps = 0;
  uint64_t draft_rows = 0;
  int64_t draft_pages_in_use = 0;  // the draft engine's pool
};

class Scheduler {
 public:
  // Starts the scheduler thread, which owns `engine` (and `draft_engine`) from now on.
  // `draft_engine`: the draft model of requests with speculation.draft_model; it must have the
  // target's vocabulary (runtime/same_vocabulary.hpp checks two tokenizers), and its output
  // at least the tokenizer's vocabulary.
  Scheduler(std::unique_ptr<Engine> engine, std::shared_ptr<const tokenizer::Tokenizer> tokenizer,
            SchedulerOptions options = {}, std::unique_ptr<Engine> draft_engine = nullptr);
  // Stops the thread; generations still running or waiting end with an error event.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Thread-safe. Never throws for a bad request: errors arrive on the stream.
  GenerationStream submit(SchedulerRequest request);
  // Thread-safe. Runs `tokens` through the model and gives the pooled final hidden state
  // (after the output norm, not normalised). Never throws: the future holds weft::Error,
  // invalid_request for an empty input, a token outside the vocabulary or an input longer
  // than the context or the KV pool, backend_unavailable when the scheduler stops first.
  std::future<std::vector<float>> embed(std::vector<tokenizer::TokenId> tokens, Pooling pooling);

  SchedulerStats stats() const;
  // Blocks until the scheduler thread has finished a full turn of its loop that began after
  // this call: every cancel and every finished generation before the call has then been
  // cleaned up (its pages returned). For tests and accounting checks.
  void sync();
  // While held, the scheduler thread starts no new turn (the current one finishes), so that
  // requests submitted meanwhile all arrive in the same turn and what happens to them does not
  // depend on how fast the submitting thread is. sync() returns at once while held. For tests.
  void hold(bool held);
  // Drops every cached prefix page that no running request holds (those go when their request
  // ends) and waits for the scheduler thread to have done it. Thread-safe.
  void clear_prefix_cache();

  const model::ModelConfig& model_config() const { return config_; }
  const SchedulerOptions& options() const { return options_; }

  // For contexts on this scheduler (runtime/context_pass.hpp). The engine and the prefix
  // index (null when the cache is off) may be touched only under shared_pool().mutex, and the
  // engine's forward only by this scheduler.
  Engine& engine() { return *engine_; }
  kv::PrefixIndex* prefix_index() { return prefix_.get(); }
  SharedPool& shared_pool() { return pool_; }
  // Runs the pass in the next model call and returns when it is done (its logits or its error
  // set). `pool_lock` holds shared_pool().mutex on entry and on return (released while
  // waiting). After the scheduler has stopped, the pass fails with backend_unavailable.
  void run_context_pass(ContextPass& pass, sync::MutexLock& pool_lock) WEFT_REQUIRES(pool_.mutex);
  // Context passes submitted and not yet taken by a turn (for tests, with hold()).
  size_t submitted_context_passes() const;

 private:
  struct Entry;

  void run();
  // Hands an entry that passed its checks to the scheduler thread, or fails it with
  // backend_unavailable when the scheduler is stopping.
  void enqueue(std::unique_ptr<Entry> entry);
  // Waits for something to do; false when the scheduler is stopping.
  bool begin_turn();
  void end_turn();
  void drop_finished();
  void admit();
  // Adopts the cached prefix of an admitted request's prompt into its sequence.
  void adopt_cached_prefix(Entry& entry, const kv::PrefixIndex::Match& cached);
  // Publishes the prompt pages the latest step filled.
  void publish_prompt_pages(Entry& entry);
  // Forgets an entry's adopted pages (it is about to be destroyed).
  void unpin(const Entry& entry);
  // `pool_lock` is released for the model call only.
  void step(sync::MutexLock& pool_lock) WEFT_REQUIRES(pool_.mutex);
  // Hands an entry its logits rows (`rows` of `width`, one after another; its suppressed
  // tokens are set to −∞ in place) and cuts refused drafts out of its KV cache.
  void take_logits(Entry& entry, std::span<float> logits, size_t rows, size_t width)
      WEFT_REQUIRES(pool_.mutex);
  // Draft-model speculation for the decodes of the coming call, taken in the order the call
  // takes them (from `first`): proposes each drafting stream's drafts to its generator, within
  // the `draft_rows` the call leaves for drafts.
  void draft_with_model(size_t first, uint32_t decode_budget, uint32_t draft_rows);
  // An encoder model's admitted embedding inputs: as many whole inputs as fit in
  // max_batch_tokens rows (always one) through one Engine::encode call; the rest next turn.
  void encode_embeddings(sync::MutexLock& pool_lock) WEFT_REQUIRES(pool_.mutex);
  // Reserves the pages of the queued context passes and adds their rows to `rows` (logits
  // wanted for each pass's rows_with_logits); a pass that does not fit fails alone.
  void add_context_rows(std::vector<ForwardRow>& rows, std::vector<ContextPass*>& passes,
                        std::vector<std::vector<int64_t>>& wanted) WEFT_REQUIRES(pool_.mutex);
  void finish_context_passes(std::span<ContextPass* const> passes);
  void publish_promise() WEFT_REQUIRES(pool_.mutex);
  void finish_all(const std::string& message) WEFT_REQUIRES(pool_.mutex);

  std::unique_ptr<Engine> engine_;
  // Declared before the entries, so that their draft sequences go back before it goes.
  std::unique_ptr<Engine> draft_engine_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  // Grammars compiled against tokenizer_, shared by the requests that repeat them.
  std::shared_ptr<grammar::GrammarCache> grammars_;
  SchedulerOptions options_;
  model::ModelConfig config_;
  // Declared after the engine, so that its pages go back to the pool before the pool goes.
  std::unique_ptr<kv::PrefixIndex> prefix_;
  SharedPool pool_;
  // Notified under pool_.mutex when context passes are done.
  std::condition_variable context_pass_done_;
  std::vector<ContextPass*> context_passes_;  // taken for this turn; scheduler thread only
  bool clear_prefix_cache_ = false;           // asked for this turn
  int64_t pages_in_use_ = 0;                  // the pool and cache at the end of the turn
  int64_t pages_cached_ = 0;

  // Shared with submitting threads and with cancel hooks, which may outlive the scheduler.
  struct Shared;
  std::shared_ptr<Shared> shared_;

  // Owned by the scheduler thread.
  std::deque<std::unique_ptr<Entry>> waiting_;
  std::vector<std::unique_ptr<Entry>> live_;
  int64_t committed_pages_ = 0;
  // Cached pages adopted by admitted requests, with how many hold each: they cannot be
  // evicted, so admission counts them as used (once, however many requests share them).
  std::unordered_map<kv::PageId, uint32_t> pinned_;
  uint64_t prompt_tokens_cached_ = 0;
  uint64_t prompt_tokens_computed_ = 0;
  uint64_t deferred_ = 0;
  SamplingScratch scratch_;  // shared by every sequence's sampling
  // The model call's outputs, kept between steps: a row of logits is a vocabulary of floats,
  // which a fresh buffer each step would page in anew.
  ForwardOutputs step_outputs_;
  size_t decode_cursor_ = 0;  // rotates which decodes go first when the budget is short
  uint64_t steps_ = 0;
  uint64_t rows_ = 0;
  uint64_t drafted_ = 0;
  uint64_t accepted_ = 0;
  uint64_t draft_steps_ = 0;
  uint64_t draft_rows_ = 0;

  std::thread thread_;
};

}  // namespace weft::runtime
