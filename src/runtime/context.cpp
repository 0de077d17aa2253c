// The public Context API (include/weft/context.hpp) over the engine, the snapshot store and
// the prefix index. Appends go through the combining batcher of runtime/context_state.hpp;
// everything else is bookkeeping under the runtime's mutex.
#include "weft/context.hpp"

#include <algorithm>
#include <filesystem>
#include <limits>
#include <string>
#include <utility>

#include "model/model.hpp"
#include "model/packed_weight_cache.hpp"
#include "runtime/context_state.hpp"
#include "runtime/shared_contexts.hpp"
#include "sync/mutex.hpp"
#include "tokenizer/pre_tokenizer.hpp"
#include "weft/error.hpp"

namespace weft {
namespace detail {
namespace {

runtime::EngineOptions engine_options(const ContextRuntimeOptions& options,
                                      const model::ModelConfig& config) {
  runtime::EngineOptions engine;
  engine.threads = options.threads;
  engine.kernels =
      options.reference_kernels ? tensor::KernelChoice::reference : tensor::KernelChoice::fast;
  engine.kv_type = options.kv_f32 ? tensor::ElementType::F32 : tensor::ElementType::F16;
  engine.page_tokens = options.page_tokens;
  if (options.kv_pages < 0 || options.kv_contexts < 1) {
    throw Error("kv_pages must not be negative and kv_contexts must be at least 1");
  }
  const int64_t context_pages =
      (config.context_length + options.page_tokens - 1) / std::max<int64_t>(1, options.page_tokens);
  engine.kv_pages = options.kv_pages > 0 ? options.kv_pages : context_pages * options.kv_contexts;
  return engine;
}

model::ModelLoadOptions load_options(const ContextRuntimeOptions& options) {
  model::ModelLoadOptions load;
  if (options.context_length < 0) throw Error("context length must not be negative");
  if (options.context_length > 0) load.context_length = options.context_length;
  load.packed_cache_directory = model::default_packed_cache_directory();
  return load;
}

std::unique_ptr<runtime::Engine> make_engine(const ContextRuntimeOptions& options) {
  std::shared_ptr<const model::Model> model =
      model::Model::load(options.model_path, load_options(options));
  const auto engine = engine_options(options, model->config());
  return std::make_unique<runtime::Engine>(std::move(model), engine);
}

}  // namespace

ContextRuntimeState::ContextRuntimeState(const ContextRuntimeOptions& options)
    : own_engine(make_engine(options)),
      engine(*own_engine),
      pool(own_pool),
      mutex(own_pool.mutex),
      snapshots(engine.pages()),
      chat_template_path(options.chat_template_path) {
  if (options.prefix_cache) {
    own_prefix = std::make_unique<kv::PrefixIndex>(engine.pages());
    prefix = own_prefix.get();
  }
}

ContextRuntimeState::ContextRuntimeState(std::shared_ptr<runtime::Scheduler> on_scheduler,
                                         const std::string& template_path)
    : scheduler(std::move(on_scheduler)),
      engine(scheduler->engine()),
      pool(scheduler->shared_pool()),
      mutex(pool.mutex),
      snapshots(engine.pages()),
      prefix(scheduler->prefix_index()),
      chat_template_path(template_path) {}

// `mutex` is a reference to pool.mutex, an alias the analysis cannot see through.
void ContextRuntimeState::check_growth(int64_t more) const WEFT_NO_THREAD_SAFETY_ANALYSIS {
  if (scheduler) pool.check_growth(engine.pages(), more);
}

const ContextRuntimeState::TextSupport& ContextRuntimeState::text() {
  std::call_once(text_loaded, [this] {
    auto support = std::make_unique<TextSupport>();
    const auto& file = engine.model().file();
    support->tokenizer = tokenizer::Tokenizer::from_gguf(file);
    support->format = std::make_unique<runtime::ConversationFormat>(
        runtime::ConversationFormat::from_gguf(file, *support->tokenizer, chat_template_path));
    support->grammars = std::make_unique<grammar::GrammarCache>(*support->tokenizer);
    text_support = std::move(support);
  });
  return *text_support;
}

size_t ContextRuntimeState::queued_passes() const {
  const sync::MutexLock lock(mutex);
  return queue.size();
}

// The lock comes by reference (see lead()).
void ContextRuntimeState::run(PendingPass& pass,
                              sync::MutexLock& lock) WEFT_NO_THREAD_SAFETY_ANALYSIS {
  if (scheduler) {
    scheduler->run_context_pass(pass, lock);
    ++stats.passes;
    if (pass.error) std::rethrow_exception(pass.error);
    ++stats.forward_calls;  // the scheduler's model call it joined
    stats.rows += static_cast<int64_t>(pass.tokens.size());
    return;
  }
  queue.push_back(&pass);
  while (!pass.done) {
    if (batch_in_flight) {
      lock.wait(batch_finished);
    } else {
      lead(lock);  // this pass is still queued, so the batch holds it
    }
  }
  if (pass.error) std::rethrow_exception(pass.error);
}

// The caller's lock comes by reference and is released around the model call; the analysis
// cannot follow a lock through a reference, so it checks the callers (WEFT_REQUIRES) only.
void ContextRuntimeState::lead(sync::MutexLock& lock) WEFT_NO_THREAD_SAFETY_ANALYSIS {
  batch_in_flight = true;
  if (hooks.before_batch) {
    lock.unlock();
    hooks.before_batch();
    lock.lock();
  }
  std::vector<PendingPass*> batch;
  batch.swap(queue);
  std::vector<PendingPass*> ready;
  try {
    ready.reserve(batch.size());
    for (auto* pass : batch) {
      try {
        // Pages come from the shared pool, so they are taken here, under the mutex; the
        // forward then finds them in place (and a shared tail already made private).
        pass->sequence->reserve(pass->first_position + static_cast<int64_t>(pass->tokens.size()));
        ready.push_back(pass);
      } catch (...) {
        pass->error = std::current_exception();
        // What it did get goes back now, for the passes after it in this batch.
        pass->sequence->truncate(pass->sequence->length());
      }
    }
  } catch (...) {  // no memory for the list: fail the whole batch rather than hang it
    for (auto* pass : batch) pass->error = std::current_exception();
    ready.clear();
  }
  lock.unlock();
  const int64_t calls = compute(ready);
  lock.lock();
  stats.forward_calls += calls;
  stats.passes += static_cast<int64_t>(ready.size());
  for (const auto* pass : ready) stats.rows += static_cast<int64_t>(pass->tokens.size());
  for (auto* pass : batch) pass->done = true;
  batch_in_flight = false;
  batch_finished.notify_all();
}

int64_t ContextRuntimeState::compute(std::span<PendingPass* const> batch) noexcept {
  if (batch.empty()) return 0;
  try {
    forward(batch);
    return 1;
  } catch (...) {
    if (batch.size() == 1) {
      batch.front()->error = std::current_exception();
      return 1;
    }
  }
  // The combined call failed: each pass alone, so that one that breaks the call fails alone.
  // Nothing of the failed call was kept: sequence lengths only advance when a call succeeds.
  int64_t calls = 1;
  for (auto* pass : batch) {
    ++calls;
    try {
      forward(std::span<PendingPass* const>(&pass, 1));
    } catch (...) {
      pass->error = std::current_exception();
    }
  }
  return calls;
}

void ContextRuntimeState::forward(std::span<PendingPass* const> passes) {
  std::vector<runtime::ForwardRow> rows;
  std::vector<std::vector<int64_t>> wanted(passes.size());
  for (size_t p = 0; p < passes.size(); ++p) {
    const auto* pass = passes[p];
    wanted[p] = runtime::rows_with_logits(*pass);
    const auto count = pass->tokens.size();
    for (size_t i = 0; i < count; ++i) {
      const bool logits = std::ranges::binary_search(wanted[p], static_cast<int64_t>(i));
      rows.push_back({pass->sequence, pass->tokens[i],
                      pass->first_position + static_cast<int64_t>(i), logits, false});
      rows.back().attention_mask = runtime::row_attention_mask(*pass, i);
    }
  }
  if (hooks.before_forward) hooks.before_forward(rows);
  runtime::ForwardOutputs& outputs = batch_outputs;
  engine.forward(rows, outputs);
  // Logits rows come in batch order: each pass's wanted rows, ascending, one pass after another.
  size_t output = 0;
  for (size_t p = 0; p < passes.size(); ++p) {
    runtime::take_pass_logits(*passes[p], wanted[p], output,
                              [&](size_t row) { return outputs.logits_at(row); });
    output += wanted[p].size();
  }
}

}  // namespace detail

struct Context::Impl {
  explicit Impl(std::shared_ptr<detail::ContextRuntimeState> owner, kv::KvSequence kv)
      : state(std::move(owner)), sequence(std::move(kv)) {}
  ~Impl() {
    const sync::MutexLock lock(state->mutex);  // the pool is shared with other threads
    sequence.release();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Declared first so that it is destroyed last: the sequence's pages belong to its pool.
  std::shared_ptr<detail::ContextRuntimeState> state;
  kv::KvSequence sequence;
  std::vector<int32_t> tokens;
  std::vector<float> logits;
  std::vector<Message> messages;  // the conversation of append_turn
  bool appending = false;  // guarded by state->mutex: catches one context used by two threads
  // The first position whose keys and values an attention mask shaped (kCausal: none). The
  // pages from there on are not what the tokens compute causally: never published.
  static constexpr int64_t kCausal = std::numeric_limits<int64_t>::max();
  int64_t masked_from = kCausal;

  // Appends `requested`; the logits after each token at `rows` (indices into `requested`)
  // come back, rows.size() × vocabulary, in that order.
  std::vector<float> append(std::span<const int32_t> requested, std::span<const int64_t> rows = {},
                            std::span<const std::vector<bool>> attention_masks = {});
  // The masks as the forward rows take them (empty when every mask is causal); throws
  // weft::Error for a mask that does not fit the tokens appended at `start`.
  static std::vector<std::vector<uint8_t>> row_masks(std::span<const std::vector<bool>> masks,
                                                     int64_t start, int64_t count);
  // What may be published to the prefix cache: the tokens before the first masked position.
  std::span<const int32_t> publishable_tokens() const {
    return std::span<const int32_t>(tokens).first(
        static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(tokens.size()), masked_from)));
  }
  // Saved as snapshot `name` (under state->mutex): its masked positions go with it.
  void remember_masks(const std::string& name) {
    if (masked_from == kCausal) {
      state->snapshot_masked_from.erase(name);
    } else {
      state->snapshot_masked_from[name] = masked_from;
    }
  }
  // After a truncation to `length`: no masked position may be left.
  void forget_masks_past(int64_t length) {
    if (length <= masked_from) masked_from = kCausal;
  }
  // Recomputes the last token's logits (a context rebuilt from a snapshot has none).
  void recompute_last_logits();
  // Appends what `rendered` (a conversation's tokens) has past the context's tokens, which it
  // must start with.
  void append_extension(std::span<const int32_t> rendered);
};

void Context::Impl::append_extension(std::span<const int32_t> rendered) {
  const auto [held_end, rendered_end] = std::ranges::mismatch(tokens, rendered);
  if (held_end != tokens.end()) {
    const auto at = static_cast<size_t>(held_end - tokens.begin());
    throw Error(
        "the chat template's rendering of the conversation does not extend the "
        "context's tokens: at token " +
        std::to_string(at) + " the context holds " + std::to_string(*held_end) +
        " and the rendering " +
        (rendered_end == rendered.end() ? std::string("ends")
                                        : "has " + std::to_string(*rendered_end)) +
        " (a context's tokens are never rewritten; truncate it first)");
  }
  append(rendered.subspan(tokens.size()));
}

std::vector<std::vector<uint8_t>> Context::Impl::row_masks(std::span<const std::vector<bool>> masks,
                                                           int64_t start, int64_t count) {
  std::vector<std::vector<uint8_t>> rows;
  if (masks.empty()) return rows;
  if (static_cast<int64_t>(masks.size()) != count) {
    throw Error(std::to_string(masks.size()) + " attention masks for an append of " +
                std::to_string(count) + " tokens (one per token, or none)");
  }
  bool any = false;
  for (int64_t i = 0; i < count; ++i) {
    const auto& mask = masks[static_cast<size_t>(i)];
    if (mask.empty()) continue;
    const int64_t position = start + i;
    if (static_cast<int64_t>(mask.size()) != position + 1) {
      throw Error("the attention mask of token " + std::to_string(i) + " (at position " +
                  std::to_string(position) + ") has " + std::to_string(mask.size()) +
                  " entries; it needs " + std::to_string(position + 1) +
                  ", one per position up to its own");
    }
    if (std::ranges::find(mask, true) == mask.end()) {
      throw Error("the attention mask of token " + std::to_string(i) +
                  " hides every position (it must allow at least one)");
    }
    any = true;
  }
  if (!any) return rows;
  rows.resize(static_cast<size_t>(count));
  for (size_t i = 0; i < rows.size(); ++i) rows[i].assign(masks[i].begin(), masks[i].end());
  return rows;
}

std::vector<float> Context::Impl::append(std::span<const int32_t> requested,
                                         std::span<const int64_t> rows,
                                         std::span<const std::vector<bool>> attention_masks) {
  if (requested.empty()) {
    if (!rows.empty()) throw Error("logits were asked of rows of an empty append");
    return {};
  }
  for (int64_t row : rows) {
    if (row < 0 || row >= static_cast<int64_t>(requested.size())) {
      throw Error("row " + std::to_string(row) + " is outside the append's " +
                  std::to_string(requested.size()) + " tokens");
    }
  }
  // A copy: the caller may pass this context's own tokens(), which the append extends.
  const std::vector<int32_t> added(requested.begin(), requested.end());
  // tokens.size() is the sequence's length: only this context's owner changes either.
  const auto masks = row_masks(attention_masks, static_cast<int64_t>(tokens.size()),
                               static_cast<int64_t>(added.size()));
  const auto& config = state->engine.config();
  // Checked here, before the pass can join a batch, so that a bad pass fails alone.
  for (size_t i = 0; i < added.size(); ++i) {
    if (added[i] < 0 || added[i] >= config.n_vocab) {
      throw Error("token " + std::to_string(i) + " of the append: id " + std::to_string(added[i]) +
                  " is outside the vocabulary (0.." + std::to_string(config.n_vocab - 1) + ")");
    }
  }
  sync::MutexLock lock(state->mutex);
  if (appending) throw Error("this context is already appending on another thread");
  const int64_t start = sequence.length();
  const auto count = static_cast<int64_t>(added.size());
  if (start + count > config.context_length) {
    throw Error("appending " + std::to_string(count) + " tokens to a context of " +
                std::to_string(start) + " would pass the context length " +
                std::to_string(config.context_length));
  }
  int64_t adopted = 0;
  // A masked append computes every row itself: cached pages hold causal keys and values.
  if (start == 0 && state->prefix && masks.empty()) {
    // Rows whose logits are asked for are computed, the last one always: their logits are
    // the point of the call.
    const int64_t first_wanted =
        rows.empty() ? count - 1 : std::min(count - 1, std::ranges::min(rows));
    const std::span<const int32_t> wanted_prefix(added.data(), static_cast<size_t>(first_wanted));
    // Adopted cached pages become pages a context holds: on a scheduler they must fit beside
    // what its requests were promised; when they do not, the prefix is computed instead.
    const auto cached =
        static_cast<int64_t>(wanted_prefix.size()) / state->engine.pages().page_tokens();
    bool room = true;
    try {
      state->check_growth(cached);
    } catch (const Error&) {
      room = false;
    }
    if (room) adopted = state->prefix->adopt_prefix(sequence, wanted_prefix);
  }
  std::vector<int64_t> pass_rows(rows.begin(), rows.end());
  for (auto& row : pass_rows) row -= adopted;
  detail::PendingPass pass;
  pass.sequence = &sequence;
  pass.tokens = std::span<const int32_t>(added).subspan(static_cast<size_t>(adopted));
  pass.first_position = start + adopted;
  pass.extra_rows = pass_rows;
  pass.attention_masks = masks;
  appending = true;
  try {
    state->run(pass, lock);
  } catch (...) {
    appending = false;
    sequence.truncate(start);  // also gives back adopted pages and pages reserved for the pass
    throw;
  }
  appending = false;
  logits = std::move(pass.logits);
  tokens.insert(tokens.end(), added.begin(), added.end());
  for (size_t i = 0; i < masks.size() && masked_from == kCausal; ++i) {
    if (!masks[i].empty()) masked_from = start + static_cast<int64_t>(i);
  }
  const int64_t page_tokens = state->engine.pages().page_tokens();
  if (state->prefix && start / page_tokens != sequence.length() / page_tokens) {
    state->prefix->publish(sequence, publishable_tokens());
  }
  return std::move(pass.row_logits);
}

void Context::Impl::recompute_last_logits() {
  logits.clear();
  if (tokens.empty()) return;
  const int32_t last = tokens.back();
  tokens.pop_back();
  {
    const sync::MutexLock lock(state->mutex);
    sequence.truncate(sequence.length() - 1);
  }
  append(std::span<const int32_t>(&last, 1));
}

std::shared_ptr<ContextRuntime> detail::ContextRuntimeAccess::make(
    std::shared_ptr<ContextRuntimeState> state) {
  return std::shared_ptr<ContextRuntime>(new ContextRuntime(std::move(state)));
}

std::shared_ptr<ContextRuntime> runtime::context_runtime_on(std::shared_ptr<Scheduler> scheduler,
                                                            const std::string& chat_template_path) {
  if (!scheduler) throw Error(ErrorCode::internal, "context_runtime_on: no scheduler");
  return detail::ContextRuntimeAccess::make(
      std::make_shared<detail::ContextRuntimeState>(std::move(scheduler), chat_template_path));
}

std::shared_ptr<ContextRuntime> ContextRuntime::open(const ContextRuntimeOptions& options) {
  return std::shared_ptr<ContextRuntime>(
      new ContextRuntime(std::make_shared<detail::ContextRuntimeState>(options)));
}

ContextRuntime::ContextRuntime(std::shared_ptr<detail::ContextRuntimeState> state)
    : state_(std::move(state)) {}

ContextRuntime::~ContextRuntime() = default;

Context ContextRuntime::create() {
  return Context(std::make_unique<Context::Impl>(
      state_, kv::KvSequence(state_->engine.pages(), kv::Holder::context)));
}

namespace {

// A context over snapshot `name`: an implicit fork of it (open), or the snapshot itself (take,
// the snapshot is gone), with its tokens and conversation.
Context context_from_snapshot(const std::shared_ptr<detail::ContextRuntimeState>& state,
                              const std::string& name, bool take) {
  std::unique_ptr<Context::Impl> impl;
  {
    const sync::MutexLock lock(state->mutex);
    auto tokens = state->snapshots.tokens(name);
    if (!take) state->check_growth(1);  // opening copies at most the partly filled last page
    impl = std::make_unique<Context::Impl>(
        state, take ? state->snapshots.take(name) : state->snapshots.open(name));
    impl->tokens = std::move(tokens);
    const auto messages = state->snapshot_messages.find(name);
    if (messages != state->snapshot_messages.end()) {
      impl->messages = messages->second;
      if (take) state->snapshot_messages.erase(messages);
    }
    const auto masked = state->snapshot_masked_from.find(name);
    if (masked != state->snapshot_masked_from.end()) {
      impl->masked_from = masked->second;
      if (take) state->snapshot_masked_from.erase(masked);
    }
  }
  impl->recompute_last_logits();
  return Context(std::move(impl));
}

}  // namespace

Context ContextRuntime::open_snapshot(const std::string& name) {
  return context_from_snapshot(state_, name, false);
}

Context ContextRuntime::take_snapshot(const std::string& name) {
  return context_from_snapshot(state_, name, true);
}

void ContextRuntime::remove_snapshot(const std::string& name) {
  const sync::MutexLock lock(state_->mutex);
  state_->snapshots.remove(name);
  state_->snapshot_messages.erase(name);
  state_->snapshot_masked_from.erase(name);
}

std::vector<std::string> ContextRuntime::snapshots() const {
  const sync::MutexLock lock(state_->mutex);
  return state_->snapshots.names();
}

void ContextRuntime::clear_prefix_cache() {
  const sync::MutexLock lock(state_->mutex);
  if (state_->prefix) state_->prefix->clear();
}

ContextRuntimeStats ContextRuntime::stats() const {
  const sync::MutexLock lock(state_->mutex);
  auto stats = state_->stats;
  stats.copied_kv_slots = state_->engine.pages().copied_slots();
  return stats;
}

ContextPoolUsage ContextRuntime::usage() const {
  const sync::MutexLock lock(state_->mutex);
  const auto& pool = state_->engine.pages();
  const auto usage = pool.usage();
  return {.pages_in_use = usage.pages_in_use,
          .capacity = usage.capacity,
          .page_tokens = pool.page_tokens(),
          .context_references = usage.context_references,
          .snapshot_references = usage.snapshot_references,
          .prefix_cache_references = usage.prefix_cache_references};
}

int64_t ContextRuntime::vocabulary_size() const {
  return state_->engine.config().n_vocab;
}

std::string ContextRuntime::decode(std::span<const int32_t> tokens) const {
  const auto& tokenizer = *state_->text().tokenizer;
  for (int32_t token : tokens) {
    if (token < 0 || token >= tokenizer.vocab_size()) {
      throw Error(ErrorCode::invalid_request,
                  "decode: token " + std::to_string(token) + " is outside the vocabulary (" +
                      std::to_string(tokenizer.vocab_size()) + " tokens)");
    }
  }
  return tokenizer.decode(tokens);
}

std::vector<int32_t> ContextRuntime::encode(std::string_view text, bool parse_special) const {
  const auto& support = state_->text();
  return support.format->text(*support.tokenizer, text, parse_special, /*at_start=*/false);
}

std::string ContextRuntime::token_bytes(int32_t token) const {
  const auto& tokenizer = *state_->text().tokenizer;
  if (token < 0 || token >= tokenizer.vocab_size()) {
    throw Error(ErrorCode::invalid_request,
                "token " + std::to_string(token) + " is outside the vocabulary (" +
                    std::to_string(tokenizer.vocab_size()) + " tokens)");
  }
  return tokenizer.token_bytes(token);
}

std::vector<int32_t> ContextRuntime::special_tokens() const {
  const auto& tokenizer = *state_->text().tokenizer;
  std::vector<int32_t> special;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    const auto type = tokenizer.type(id);
    if (type == tokenizer::TokenType::control || type == tokenizer::TokenType::user_defined) {
      special.push_back(id);
    }
  }
  return special;
}

std::vector<int32_t> ContextRuntime::stop_tokens() const {
  const auto& tokenizer = *state_->text().tokenizer;
  std::vector<int32_t> stops;
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    if (tokenizer.is_end_of_generation(id)) stops.push_back(id);
  }
  return stops;
}

std::vector<int32_t> ContextRuntime::render_chat(std::span<const Message> messages,
                                                 bool add_generation_prompt) const {
  const auto& support = state_->text();
  return support.format->conversation(*support.tokenizer, messages, add_generation_prompt);
}

std::string ContextRuntime::chat_template() const {
  return state_->text().format->template_source();
}

std::optional<int32_t> ContextRuntime::bos_token() const {
  const auto& tokenizer = *state_->text().tokenizer;
  if (!tokenizer.add_bos_by_default()) return std::nullopt;
  return tokenizer.bos();
}

std::vector<std::string> ContextRuntime::split_patterns() const {
  const auto& file = state_->engine.model().file();
  if (file.get_string("tokenizer.ggml.model").value_or("") != "gpt2") return {};
  std::vector<std::string> patterns;
  for (auto pattern : tokenizer::PreTokenizer::patterns_for(
           file.get_string("tokenizer.ggml.pre").value_or("default"))) {
    patterns.emplace_back(pattern);
  }
  return patterns;
}

int64_t ContextRuntime::distinct_pages(std::span<const Context* const> contexts) const {
  const sync::MutexLock lock(state_->mutex);
  std::vector<kv::PageId> pages;
  for (const auto* context : contexts) {
    const auto held = detail::ContextRuntimeAccess::sequence(*context).pages();
    pages.insert(pages.end(), held.begin(), held.end());
  }
  std::ranges::sort(pages);
  return std::unique(pages.begin(), pages.end()) - pages.begin();
}

int64_t ContextRuntime::context_length() const {
  return state_->engine.config().context_length;
}

int64_t ContextRuntime::page_tokens() const {
  return state_->engine.pages().page_tokens();
}

std::string ContextRuntime::model_name() const {
  const auto& file = state_->engine.model().file();
  return file.get_string("general.name")
      .value_or(std::filesystem::path(file.path()).stem().string());
}

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

void Context::append(std::span<const int32_t> tokens) {
  impl_->append(tokens);
}

std::vector<float> Context::append_with_logits(std::span<const int32_t> tokens,
                                               std::span<const int64_t> rows) {
  return impl_->append(tokens, rows);
}

std::vector<float> Context::append_with_logits(std::span<const int32_t> tokens,
                                               std::span<const int64_t> rows,
                                               std::span<const std::vector<bool>> attention_masks) {
  return impl_->append(tokens, rows, attention_masks);
}

void Context::append_text(std::string_view text, bool parse_special) {
  const auto& support = impl_->state->text();
  impl_->append(
      support.format->text(*support.tokenizer, text, parse_special, impl_->tokens.empty()));
}

void Context::append_turn(const Message& message, bool add_generation_prompt) {
  const auto& support = impl_->state->text();
  auto conversation = impl_->messages;
  conversation.push_back(message);
  impl_->append_extension(
      support.format->conversation(*support.tokenizer, conversation, add_generation_prompt));
  impl_->messages = std::move(conversation);
}

void Context::append_generation_prompt() {
  const auto& support = impl_->state->text();
  impl_->append_extension(support.format->conversation(*support.tokenizer, impl_->messages, true));
}

const std::vector<Message>& Context::messages() const {
  return impl_->messages;
}
std::span<const float> Context::logits() const {
  return impl_->logits;
}
const std::vector<int32_t>& Context::tokens() const {
  return impl_->tokens;
}
int64_t Context::length() const {
  return impl_->sequence.length();
}

int64_t Context::pages() const {
  const sync::MutexLock lock(impl_->state->mutex);
  return static_cast<int64_t>(impl_->sequence.pages().size());
}

int64_t Context::shared_pages() const {
  const sync::MutexLock lock(impl_->state->mutex);
  const auto& pool = impl_->state->engine.pages();
  return std::ranges::count_if(impl_->sequence.pages(),
                               [&](kv::PageId page) { return pool.ref_count(page) > 1; });
}

const kv::KvSequence& detail::ContextRuntimeAccess::sequence(const Context& context) {
  return context.impl_->sequence;
}

Context Context::fork() const {
  sync::MutexLock lock(impl_->state->mutex);
  impl_->state->check_growth(1);  // at most the partly filled last page is copied
  auto impl = std::make_unique<Impl>(impl_->state, impl_->sequence.fork(kv::Holder::context));
  lock.unlock();
  impl->tokens = impl_->tokens;
  impl->logits = impl_->logits;
  impl->messages = impl_->messages;
  impl->masked_from = impl_->masked_from;
  return Context(std::move(impl));
}

void Context::save(const std::string& name) const {
  const sync::MutexLock lock(impl_->state->mutex);
  impl_->state->check_growth(1);
  impl_->state->snapshots.save(name, impl_->sequence, impl_->tokens);
  if (!impl_->messages.empty()) impl_->state->snapshot_messages[name] = impl_->messages;
  impl_->remember_masks(name);
}

std::string Context::snapshot() const {
  const sync::MutexLock lock(impl_->state->mutex);
  impl_->state->check_growth(1);
  auto name = impl_->state->snapshots.snapshot(impl_->sequence, impl_->tokens);
  if (!impl_->messages.empty()) impl_->state->snapshot_messages[name] = impl_->messages;
  impl_->remember_masks(name);
  return name;
}

void Context::truncate(int64_t length) {
  if (length < 0 || length > this->length()) {
    throw Error("cannot truncate a context of " + std::to_string(this->length()) + " tokens to " +
                std::to_string(length));
  }
  if (length == this->length()) return;
  {
    const sync::MutexLock lock(impl_->state->mutex);
    impl_->sequence.truncate(length);
  }
  impl_->tokens.resize(static_cast<size_t>(length));
  impl_->forget_masks_past(length);
  impl_->messages.clear();
  impl_->recompute_last_logits();
}

void Context::truncate(int64_t length, std::span<const float> last_logits) {
  if (length < 1 || length > this->length()) {
    throw Error("cannot truncate a context of " + std::to_string(this->length()) + " tokens to " +
                std::to_string(length) + " with given logits (1.." +
                std::to_string(this->length()) + ")");
  }
  const auto vocabulary = static_cast<size_t>(impl_->state->engine.config().n_vocab);
  if (last_logits.size() != vocabulary) {
    throw Error("logits for a truncated context must be " + std::to_string(vocabulary) +
                " floats, not " + std::to_string(last_logits.size()));
  }
  if (length < this->length()) {
    const sync::MutexLock lock(impl_->state->mutex);
    impl_->sequence.truncate(length);
  }
  impl_->tokens.resize(static_cast<size_t>(length));
  impl_->forget_masks_past(length);
  impl_->logits.assign(last_logits.begin(), last_logits.end());
}

void Context::release() {
  {
    const sync::MutexLock lock(impl_->state->mutex);
    impl_->sequence.release();
  }
  impl_->tokens.clear();
  impl_->logits.clear();
  impl_->messages.clear();
}

}  // namespace weft
