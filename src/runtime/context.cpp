// The public Context API (include/weft/context.hpp) over the engine, the snapshot store and
// the prefix index. Each append is one synchronous forward pass of one sequence.
#include "weft/context.hpp"

#include <utility>

#include "kv/kv_sequence.hpp"
#include "kv/prefix_index.hpp"
#include "kv/snapshot_store.hpp"
#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "weft/error.hpp"

namespace weft {
namespace detail {

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

// Members in destruction order matter: snapshots and cached pages go back to the pool
// before the engine (which owns the pool) is destroyed.
struct ContextRuntimeState {
  explicit ContextRuntimeState(const ContextRuntimeOptions& options)
      : engine(model::Model::load(options.model_path, load_options(options)),
               engine_options(options)),
        snapshots(engine.pages()) {
    if (options.prefix_cache) prefix = std::make_unique<kv::PrefixIndex>(engine.pages());
  }

  runtime::Engine engine;
  kv::SnapshotStore snapshots;
  std::unique_ptr<kv::PrefixIndex> prefix;
};

}  // namespace detail

struct Context::Impl {
  explicit Impl(std::shared_ptr<detail::ContextRuntimeState> owner, kv::KvSequence kv)
      : state(std::move(owner)), sequence(std::move(kv)) {}

  // Declared first so that it is destroyed last: the sequence's pages belong to its pool.
  std::shared_ptr<detail::ContextRuntimeState> state;
  kv::KvSequence sequence;
  std::vector<int32_t> tokens;
  std::vector<float> logits;

  void append(std::span<const int32_t> requested);
  // Recomputes the last token's logits (a context rebuilt from a snapshot has none).
  void recompute_last_logits();
};

void Context::Impl::append(std::span<const int32_t> requested) {
  if (requested.empty()) return;
  // A copy: the caller may pass this context's own tokens(), which the append extends.
  const std::vector<int32_t> added(requested.begin(), requested.end());
  const int64_t start = sequence.length();
  int64_t adopted = 0;
  if (start == 0 && state->prefix) {
    // The last token is always computed: its logits are the point of the call.
    adopted = state->prefix->adopt_prefix(sequence,
                                          std::span<const int32_t>(added.data(), added.size() - 1));
  }
  std::vector<runtime::ForwardRow> rows;
  rows.reserve(added.size() - static_cast<size_t>(adopted));
  for (auto i = static_cast<size_t>(adopted); i < added.size(); ++i) {
    rows.push_back(
        {&sequence, added[i], start + static_cast<int64_t>(i), i + 1 == added.size(), false});
  }
  runtime::ForwardOutputs outputs;
  try {
    state->engine.forward(rows, outputs);
  } catch (...) {
    sequence.truncate(start);  // also gives back pages reserved for the failed pass
    throw;
  }
  const auto last = outputs.logits_at(0);
  logits.assign(last.begin(), last.end());
  tokens.insert(tokens.end(), added.begin(), added.end());
  const int64_t page_tokens = state->engine.pages().page_tokens();
  if (state->prefix && start / page_tokens != sequence.length() / page_tokens) {
    state->prefix->publish(sequence, tokens);
  }
}

void Context::Impl::recompute_last_logits() {
  logits.clear();
  if (tokens.empty()) return;
  const int32_t last = tokens.back();
  tokens.pop_back();
  sequence.truncate(sequence.length() - 1);
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

Context ContextRuntime::open_snapshot(const std::string& name) {
  auto impl = std::make_unique<Context::Impl>(state_, state_->snapshots.open(name));
  impl->tokens = state_->snapshots.tokens(name);
  impl->recompute_last_logits();
  return Context(std::move(impl));
}

Context ContextRuntime::take_snapshot(const std::string& name) {
  auto tokens = state_->snapshots.tokens(name);
  auto impl = std::make_unique<Context::Impl>(state_, state_->snapshots.take(name));
  impl->tokens = std::move(tokens);
  impl->recompute_last_logits();
  return Context(std::move(impl));
}

void ContextRuntime::remove_snapshot(const std::string& name) {
  state_->snapshots.remove(name);
}

std::vector<std::string> ContextRuntime::snapshots() const {
  return state_->snapshots.names();
}

void ContextRuntime::clear_prefix_cache() {
  if (state_->prefix) state_->prefix->clear();
}

ContextPoolUsage ContextRuntime::usage() const {
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

Context::Context(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Context::~Context() = default;
Context::Context(Context&&) noexcept = default;
Context& Context::operator=(Context&&) noexcept = default;

void Context::append(std::span<const int32_t> tokens) {
  impl_->append(tokens);
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
  auto impl = std::make_unique<Impl>(impl_->state, impl_->sequence.fork());
  impl->tokens = impl_->tokens;
  impl->logits = impl_->logits;
  return Context(std::move(impl));
}

void Context::save(const std::string& name) const {
  impl_->state->snapshots.save(name, impl_->sequence, impl_->tokens);
}

std::string Context::snapshot() const {
  return impl_->state->snapshots.snapshot(impl_->sequence, impl_->tokens);
}

void Context::truncate(int64_t length) {
  if (length < 0 || length > this->length()) {
    throw Error("cannot truncate a context of " + std::to_string(this->length()) + " tokens to " +
                std::to_string(length));
  }
  if (length == this->length()) return;
  impl_->sequence.truncate(length);
  impl_->tokens.resize(static_cast<size_t>(length));
  impl_->recompute_last_logits();
}

void Context::release() {
  impl_->sequence.release();
  impl_->tokens.clear();
  impl_->logits.clear();
}

}  // namespace weft
