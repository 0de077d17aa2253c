// The public Context API (include/weft/context.hpp) over the engine, the snapshot store and
// the prefix index. Appends go through the combining batcher of runtime/context_state.hpp;
// everything else is bookkeeping under the runtime's mutex.
#include "weft/context.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <utility>

#include "model/model.hpp"
#include "runtime/context_state.hpp"
#include "weft/error.hpp"

namespace weft {
namespace detail {
namespace {

runtime::EngineOptions engine_options(const ContextRuntimeOptions& options) {
  runtime::EngineOptions engine;
  engine.threads = options.threads;
  engine.kernels =
      options.reference_kernels ? tensor::KernelChoice::reference : tensor::KernelChoice::fast;
  engine.kv_type = options.kv_f32 ? tensor::ElementType::F32 : tensor::ElementType::F16;
  engine.page_tokens = options.page_tokens;
  engine.kv_pages = options.kv_pages;
  return engine;
}

model::ModelLoadOptions load_options(const ContextRuntimeOptions& options) {
  model::ModelLoadOptions load;
  if (options.context_length < 0) throw Error("context length must not be negative");
  if (options.context_length > 0) load.context_length = options.context_length;
  return load;
}

}  // namespace

ContextRuntimeState::ContextRuntimeState(const ContextRuntimeOptions& options)
    : engine(model::Model::load(options.model_path, load_options(options)),
             engine_options(options)),
      snapshots(engine.pages()),
      chat_template_path(options.chat_template_path) {
  if (options.prefix_cache) prefix = std::make_unique<kv::PrefixIndex>(engine.pages());
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
  const std::lock_guard lock(mutex);
  return queue.size();
}

void ContextRuntimeState::run(PendingPass& pass, std::unique_lock<std::mutex>& lock) {
  queue.push_back(&pass);
  while (!pass.done) {
    if (batch_in_flight) {
      batch_finished.wait(lock);
    } else {
      lead(lock);  // this pass is still queued, so the batch holds it
    }
  }
  if (pass.error) std::rethrow_exception(pass.error);
}

void ContextRuntimeState::lead(std::unique_lock<std::mutex>& lock) {
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

namespace {

// The rows of a pass that return logits, ascending: the extra rows and the last one.
std::vector<int64_t> rows_with_logits(const PendingPass& pass) {
  std::vector<int64_t> rows(pass.extra_rows.begin(), pass.extra_rows.end());
  rows.push_back(static_cast<int64_t>(pass.tokens.size()) - 1);
  std::ranges::sort(rows);
  rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
  return rows;
}

}  // namespace

void ContextRuntimeState::forward(std::span<PendingPass* const> passes) {
  std::vector<runtime::ForwardRow> rows;
  std::vector<std::vector<int64_t>> wanted(passes.size());
  for (size_t p = 0; p < passes.size(); ++p) {
    const auto* pass = passes[p];
    wanted[p] = rows_with_logits(*pass);
    const auto count = pass->tokens.size();
    for (size_t i = 0; i < count; ++i) {
      const bool logits = std::ranges::binary_search(wanted[p], static_cast<int64_t>(i));
      rows.push_back({pass->sequence, pass->tokens[i],
                      pass->first_position + static_cast<int64_t>(i), logits, false});
    }
  }
  if (hooks.before_forward) hooks.before_forward(rows);
  runtime::ForwardOutputs outputs;
  engine.forward(rows, outputs);
  // Logits rows come in batch order: each pass's wanted rows, ascending, one pass after another.
  size_t output = 0;
  for (size_t p = 0; p < passes.size(); ++p) {
    auto& pass = *passes[p];
    const size_t first = output;
    output += wanted[p].size();
    const auto last = outputs.logits_at(output - 1);
    pass.logits.assign(last.begin(), last.end());
    pass.row_logits.clear();
    pass.row_logits.reserve(pass.extra_rows.size() * last.size());
    for (int64_t row : pass.extra_rows) {
      const auto at = std::ranges::lower_bound(wanted[p], row) - wanted[p].begin();
      const auto logits = outputs.logits_at(first + static_cast<size_t>(at));
      pass.row_logits.insert(pass.row_logits.end(), logits.begin(), logits.end());
    }
  }
}

}  // namespace detail

struct Context::Impl {
  explicit Impl(std::shared_ptr<detail::ContextRuntimeState> owner, kv::KvSequence kv)
      : state(std::move(owner)), sequence(std::move(kv)) {}
  ~Impl() {
    const std::lock_guard lock(state->mutex);  // the pool is shared with other threads
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

  // Appends `requested`; the logits after each token at `rows` (indices into `requested`)
  // come back, rows.size() × vocabulary, in that order.
  std::vector<float> append(std::span<const int32_t> requested, std::span<const int64_t> rows = {});
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

std::vector<float> Context::Impl::append(std::span<const int32_t> requested,
                                         std::span<const int64_t> rows) {
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
  const auto& config = state->engine.config();
  // Checked here, before the pass can join a batch, so that a bad pass fails alone.
  for (size_t i = 0; i < added.size(); ++i) {
    if (added[i] < 0 || added[i] >= config.n_vocab) {
      throw Error("token " + std::to_string(i) + " of the append: id " + std::to_string(added[i]) +
                  " is outside the vocabulary (0.." + std::to_string(config.n_vocab - 1) + ")");
    }
  }
  std::unique_lock lock(state->mutex);
  if (appending) throw Error("this context is already appending on another thread");
  const int64_t start = sequence.length();
  const auto count = static_cast<int64_t>(added.size());
  if (start + count > config.context_length) {
    throw Error("appending " + std::to_string(count) + " tokens to a context of " +
                std::to_string(start) + " would pass the context length " +
                std::to_string(config.context_length));
  }
  int64_t adopted = 0;
  if (start == 0 && state->prefix) {
    // Rows whose logits are asked for are computed, the last one always: their logits are
    // the point of the call.
    const int64_t first_wanted =
        rows.empty() ? count - 1 : std::min(count - 1, std::ranges::min(rows));
    adopted = state->prefix->adopt_prefix(
        sequence, std::span<const int32_t>(added.data(), static_cast<size_t>(first_wanted)));
  }
  std::vector<int64_t> pass_rows(rows.begin(), rows.end());
  for (auto& row : pass_rows) row -= adopted;
  detail::PendingPass pass;
  pass.sequence = &sequence;
  pass.tokens = std::span<const int32_t>(added).subspan(static_cast<size_t>(adopted));
  pass.first_position = start + adopted;
  pass.extra_rows = pass_rows;
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
  const int64_t page_tokens = state->engine.pages().page_tokens();
  if (state->prefix && start / page_tokens != sequence.length() / page_tokens) {
    state->prefix->publish(sequence, tokens);
  }
  return std::move(pass.row_logits);
}

void Context::Impl::recompute_last_logits() {
  logits.clear();
  if (tokens.empty()) return;
  const int32_t last = tokens.back();
  tokens.pop_back();
  {
    const std::lock_guard lock(state->mutex);
    sequence.truncate(sequence.length() - 1);
  }
  append(std::span<const int32_t>(&last, 1));
}

std::shared_ptr<ContextRuntime> ContextRuntime::open(const ContextRuntimeOptions& options) {
  return std::shared_ptr<ContextRuntime>(
      new ContextRuntime(std::make_shared<detail::ContextRuntimeState>(options)));
}

ContextRuntime::ContextRuntime(std::shared_ptr<detail::ContextRuntimeState> state)
    : state_(std::move(state)) {}

ContextRuntime::~ContextRuntime() = default;

Context ContextRuntime::create() {
  return Context(std::make_unique<Context::Impl>(state_, state_->engine.new_sequence()));
}

namespace {

// A context over snapshot `name`: an implicit fork of it (open), or the snapshot itself (take,
// the snapshot is gone), with its tokens and conversation.
Context context_from_snapshot(const std::shared_ptr<detail::ContextRuntimeState>& state,
                              const std::string& name, bool take) {
  std::unique_ptr<Context::Impl> impl;
  {
    const std::lock_guard lock(state->mutex);
    auto tokens = state->snapshots.tokens(name);
    impl = std::make_unique<Context::Impl>(
        state, take ? state->snapshots.take(name) : state->snapshots.open(name));
    impl->tokens = std::move(tokens);
    const auto messages = state->snapshot_messages.find(name);
    if (messages != state->snapshot_messages.end()) {
      impl->messages = messages->second;
      if (take) state->snapshot_messages.erase(messages);
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
  const std::lock_guard lock(state_->mutex);
  state_->snapshots.remove(name);
  state_->snapshot_messages.erase(name);
}

std::vector<std::string> ContextRuntime::snapshots() const {
  const std::lock_guard lock(state_->mutex);
  return state_->snapshots.names();
}

void ContextRuntime::clear_prefix_cache() {
  const std::lock_guard lock(state_->mutex);
  if (state_->prefix) state_->prefix->clear();
}

ContextRuntimeStats ContextRuntime::stats() const {
  const std::lock_guard lock(state_->mutex);
  auto stats = state_->stats;
  stats.copied_kv_slots = state_->engine.pages().copied_slots();
  return stats;
}

ContextPoolUsage ContextRuntime::usage() const {
  const std::lock_guard lock(state_->mutex);
  const auto& pool = state_->engine.pages();
  const auto usage = pool.usage();
  return {.pages_in_use = usage.pages_in_use,
          .capacity = usage.capacity,
          .page_tokens = pool.page_tokens(),
          .context_references = usage.sequence_references,
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

Context Context::fork() const {
  std::unique_lock lock(impl_->state->mutex);
  auto impl = std::make_unique<Impl>(impl_->state, impl_->sequence.fork());
  lock.unlock();
  impl->tokens = impl_->tokens;
  impl->logits = impl_->logits;
  impl->messages = impl_->messages;
  return Context(std::move(impl));
}

void Context::save(const std::string& name) const {
  const std::lock_guard lock(impl_->state->mutex);
  impl_->state->snapshots.save(name, impl_->sequence, impl_->tokens);
  if (!impl_->messages.empty()) impl_->state->snapshot_messages[name] = impl_->messages;
}

std::string Context::snapshot() const {
  const std::lock_guard lock(impl_->state->mutex);
  auto name = impl_->state->snapshots.snapshot(impl_->sequence, impl_->tokens);
  if (!impl_->messages.empty()) impl_->state->snapshot_messages[name] = impl_->messages;
  return name;
}

void Context::truncate(int64_t length) {
  if (length < 0 || length > this->length()) {
    throw Error("cannot truncate a context of " + std::to_string(this->length()) + " tokens to " +
                std::to_string(length));
  }
  if (length == this->length()) return;
  {
    const std::lock_guard lock(impl_->state->mutex);
    impl_->sequence.truncate(length);
  }
  impl_->tokens.resize(static_cast<size_t>(length));
  impl_->messages.clear();
  impl_->recompute_last_logits();
}

void Context::release() {
  {
    const std::lock_guard lock(impl_->state->mutex);
    impl_->sequence.release();
  }
  impl_->tokens.clear();
  impl_->logits.clear();
  impl_->messages.clear();
}

}  // namespace weft
