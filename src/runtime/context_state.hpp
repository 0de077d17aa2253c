// The shared state behind weft::ContextRuntime and its contexts (include/weft/context.hpp),
// and the combining batcher that turns concurrent appends into one model call.
//
// Every append becomes a PendingPass queued under `mutex`. The first caller that finds no
// batch in flight becomes the leader: it takes every queued pass, reserves their pages (under
// the mutex: the pool is shared bookkeeping), runs ONE Engine::forward over all their rows
// with the mutex released, and hands each pass its logits or its error. Callers that find a
// batch in flight wait on `batch_finished`; passes queued meanwhile go into the next batch.
//
// Why the forward may run without the mutex: it writes only slots past each batched
// sequence's length, in pages the leader made private while it reserved them (reference
// count 1), and reads only pages those sequences hold. Other threads meanwhile only change
// reference counts of other pages (or add references to full pages, which are never
// written), each under the mutex. The owners of the batched contexts are blocked in append.
//
// Failures, per pass (the others in the batch are not affected):
//  - a bad token or the context length: the caller's own thread rejects the pass before it
//    is queued;
//  - a full pool: the leader's reservation fails for that pass only;
//  - the combined forward throws (nothing validated can make it, but memory or an internal
//    fault can): each pass of the batch is run again on its own, so a pass that breaks the
//    model call fails alone and the rest still succeed (a systemic fault fails each with its
//    own exception). A failed pass's context is rolled back to its length before the append.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "grammar/grammar_cache.hpp"
#include "kv/kv_sequence.hpp"
#include "kv/prefix_index.hpp"
#include "kv/snapshot_store.hpp"
#include "runtime/context_pass.hpp"
#include "runtime/conversation_format.hpp"
#include "runtime/engine.hpp"
#include "runtime/forward_batch.hpp"
#include "runtime/scheduler.hpp"
#include "sync/mutex.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/context.hpp"

namespace weft::detail {

using PendingPass = runtime::ContextPass;

// Test seams (tests/runtime/context_batching_test.cpp). Set before the runtime is shared
// between threads; never changed afterwards.
struct ContextBatchHooks {
  // Called by a leader, without the mutex, before it takes the queue: a test holds it here
  // until the passes it wants combined are queued. Must not throw.
  std::function<void()> before_batch;
  // Called before every Engine::forward with its rows; may throw to simulate a failing call.
  std::function<void(std::span<const runtime::ForwardRow>)> before_forward;
};

// Members in destruction order matter: snapshots and cached pages go back to the pool
// before the engine (which owns the pool) is destroyed.
//
// Two ways to run: with an engine of its own (ContextRuntime::open), where passes go through
// the combining batcher below; or on a backend's scheduler (context_runtime_on), sharing its
// engine, KV pool, prefix cache and lock: passes then join the scheduler's model calls beside
// its generations, and context pages count against its admission (runtime/context_pass.hpp).
struct ContextRuntimeState {
  explicit ContextRuntimeState(const ContextRuntimeOptions& options);
  ContextRuntimeState(std::shared_ptr<runtime::Scheduler> scheduler,
                      const std::string& chat_template_path);

  // Queues the pass and returns when it is done (computed by this thread or another);
  // rethrows the pass's error. `lock` holds `mutex` on entry and on return.
  void run(PendingPass& pass, sync::MutexLock& lock) WEFT_REQUIRES(mutex);
  // Passes queued and not yet taken by a leader.
  size_t queued_passes() const;

  struct TextSupport {
    std::unique_ptr<tokenizer::Tokenizer> tokenizer;
    std::unique_ptr<runtime::ConversationFormat> format;
    // Constraints' compiled grammars (weft/constraint.hpp); refers to `tokenizer`.
    std::unique_ptr<grammar::GrammarCache> grammars;
  };
  // The tokenizer, chat template and grammar cache, read from the model on first use (thread-safe;
  // both are immutable once built). Throws weft::Error when the model has no usable tokenizer.
  const TextSupport& text();

  // Contexts on a scheduler need room for `more` outside pages (fork, snapshots, growth);
  // nothing to check with an engine of their own.
  void check_growth(int64_t more) const WEFT_REQUIRES(mutex);

  // Declared first: destroyed last, after every page went back to the pool.
  std::shared_ptr<runtime::Scheduler> scheduler;  // null with an engine of its own
  std::unique_ptr<runtime::Engine> own_engine;
  runtime::Engine& engine;
  runtime::SharedPool own_pool;
  runtime::SharedPool& pool;
  // Guards the pool (through every sequence, snapshot and the prefix index), the queue and
  // the statistics: the scheduler's pool lock when on a scheduler.
  sync::Mutex& mutex;
  kv::SnapshotStore snapshots;
  std::unique_ptr<kv::PrefixIndex> own_prefix;
  kv::PrefixIndex* prefix = nullptr;  // null when the prefix cache is off
  ContextBatchHooks hooks;
  ContextRuntimeStats stats;
  // The conversation (append_turn) of each snapshot that has one, by snapshot name.
  std::map<std::string, std::vector<Message>> snapshot_messages;
  // The first position computed under an attention mask (Context::Impl::masked_from) of
  // each snapshot that has one, by snapshot name.
  std::map<std::string, int64_t> snapshot_masked_from;

 private:
  void lead(sync::MutexLock& lock) WEFT_REQUIRES(mutex);
  // Runs the batch with the mutex released; sets each pass's logits or error. Returns the
  // number of model calls made.
  int64_t compute(std::span<PendingPass* const> batch) noexcept;
  // One Engine::forward over the passes; throws what it throws.
  void forward(std::span<PendingPass* const> passes);

  std::string chat_template_path;
  std::once_flag text_loaded;
  std::unique_ptr<TextSupport> text_support;

  std::condition_variable batch_finished;
  std::vector<PendingPass*> queue;
  bool batch_in_flight = false;
  // The outputs of the batch in flight (one at a time), kept between batches: a row of
  // logits is a vocabulary of floats, which a fresh buffer each call would page in anew.
  runtime::ForwardOutputs batch_outputs;
};

// Access to a runtime's state for tests of the batcher.
struct ContextRuntimeAccess {
  static ContextRuntimeState& state(ContextRuntime& runtime) { return *runtime.state_; }
  static std::shared_ptr<ContextRuntime> make(std::shared_ptr<ContextRuntimeState> state);
  static const kv::KvSequence& sequence(const Context& context);
};

}  // namespace weft::detail
