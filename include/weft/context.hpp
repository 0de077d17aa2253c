// Contexts over the native engine: a context is one sequence's KV cache plus its tokens.
// Fork, snapshots and prefix reuse share KV pages instead of recomputing or copying them.
//
//   auto runtime = weft::ContextRuntime::open({.model_path = "model.gguf"});
//   weft::Context chat = runtime->create();
//   chat.append(system_prompt_ids);          // reuses cached pages of an earlier identical prefix
//   chat.save("system");                     // a named snapshot (shares the pages)
//   weft::Context branch = chat.fork();      // copies at most one partly filled page
//   branch.append({42});
//   std::span<const float> logits = branch.logits();   // next-token logits
//   weft::Context again = runtime->open_snapshot("system");
//
// Synchronous: each append runs one forward pass. A runtime and its contexts must be used
// from one thread at a time (the engine is not thread-safe). Contexts may outlive their
// handle to the runtime: they keep it alive.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace weft {

struct ContextRuntimeOptions {
  std::string model_path;
  int64_t context_length = 0;  // 0: the model's own
  unsigned threads = 0;        // 0: hardware concurrency
  int64_t page_tokens = 16;
  int64_t kv_pages = 0;  // 0: one full context
  bool kv_f32 = false;   // F16 cache by default
  bool reference_kernels = false;
  bool prefix_cache = true;  // reuse (and keep) full pages of earlier prompts
};

// Where the KV pool's pages are: references by holder kind (a shared page counts once per
// holder), and the distinct pages in use.
struct ContextPoolUsage {
  int64_t pages_in_use = 0;
  int64_t capacity = 0;
  int64_t page_tokens = 0;
  int64_t context_references = 0;
  int64_t snapshot_references = 0;
  int64_t prefix_cache_references = 0;
};

namespace detail {
struct ContextRuntimeState;
}

class Context;

class ContextRuntime {
 public:
  // Loads the model; throws weft::Error for a bad file or options.
  static std::shared_ptr<ContextRuntime> open(const ContextRuntimeOptions& options);
  ~ContextRuntime();

  Context create();
  // An implicit fork of the snapshot (it stays); throws weft::Error for an unknown name.
  Context open_snapshot(const std::string& name);
  // The snapshot as a context, without copying; the snapshot is gone.
  Context take_snapshot(const std::string& name);
  void remove_snapshot(const std::string& name);
  std::vector<std::string> snapshots() const;
  // Drops every cached prefix page that no context or snapshot holds.
  void clear_prefix_cache();
  ContextPoolUsage usage() const;
  int64_t vocabulary_size() const;

 private:
  explicit ContextRuntime(std::shared_ptr<detail::ContextRuntimeState> state);
  std::shared_ptr<detail::ContextRuntimeState> state_;
};

class Context {
 public:
  struct Impl;
  explicit Context(std::unique_ptr<Impl> impl);
  ~Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;

  // Runs the tokens through the model in one pass. When the context is empty and the
  // prefix cache holds pages for the start of `tokens`, those are adopted, not recomputed.
  // Throws weft::Error (the context unchanged) for a bad token, the context length, or a
  // full pool.
  void append(std::span<const int32_t> tokens);
  // The next-token logits after the last token; empty for an empty context.
  std::span<const float> logits() const;
  const std::vector<int32_t>& tokens() const;
  int64_t length() const;

  Context fork() const;
  void save(const std::string& name) const;
  std::string snapshot() const;  // a generated name
  // Keeps the first `length` tokens (recomputing the last one's logits in one pass).
  void truncate(int64_t length);
  // Frees the pages now; the context is then empty (and reusable).
  void release();

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft
