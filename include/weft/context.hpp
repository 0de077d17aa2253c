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
//   weft::Context turn = runtime->create();   // chat turns through the model's template
//   turn.append_turn({weft::Role::user, "Hello"}, /*add_generation_prompt=*/true);
//
// Threads: different contexts may be used from different threads at once (one Context object
// from one thread at a time). Appends that overlap in time are computed together: their rows
// go into one model call (see ContextRuntimeStats), and each append still returns only when
// its own logits are ready. A failed append fails alone. Contexts may outlive their handle to
// the runtime: they keep it alive.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/export.hpp"
#include "weft/types.hpp"

namespace weft {

struct WEFT_EXPORT ContextRuntimeOptions {
  std::string model_path;
  int64_t context_length = 0;  // 0: the model's own
  unsigned threads = 0;        // 0: hardware concurrency
  int64_t page_tokens = 16;
  int64_t kv_pages = 0;  // 0: kv_contexts full contexts
  int64_t kv_contexts = 1;
  bool kv_f32 = false;  // F16 cache by default
  bool reference_kernels = false;
  bool prefix_cache = true;  // reuse (and keep) full pages of earlier prompts
  // A Jinja chat template file for append_turn instead of the model's own (--chat-template).
  std::string chat_template_path = {};
};

// Where the KV pool's pages are: references by holder kind (a shared page counts once per
// holder), and the distinct pages in use.
struct WEFT_EXPORT ContextPoolUsage {
  int64_t pages_in_use = 0;
  int64_t capacity = 0;
  int64_t page_tokens = 0;
  int64_t context_references = 0;
  int64_t snapshot_references = 0;
  int64_t prefix_cache_references = 0;
};

// How appends were computed: `forward_calls` < `passes` means some appends shared a model call.
struct WEFT_EXPORT ContextRuntimeStats {
  // Model calls (Engine::forward), retries of a failed batch included; for contexts on a
  // backend's scheduler, the scheduler's calls that passes joined (one per pass).
  int64_t forward_calls = 0;
  int64_t passes = 0;  // appends that reached the model (succeeded or not)
  int64_t rows = 0;    // token rows computed in those calls
  // KV slots copied between pages (fork, snapshots, copy-on-write): at most a page's tail
  // per operation, as full pages are shared.
  int64_t copied_kv_slots = 0;
};

namespace detail {
struct ContextRuntimeState;
struct ContextRuntimeAccess;
}  // namespace detail

class Context;

class WEFT_EXPORT ContextRuntime {
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
  ContextRuntimeStats stats() const;
  int64_t vocabulary_size() const;
  // The text of `tokens` (as the model's tokenizer decodes them); throws weft::Error for an
  // id outside the vocabulary or a model without a tokenizer.
  std::string decode(std::span<const int32_t> tokens) const;

  // The model's tokenizer and chat template, for callers that build their own prompts. Each
  // throws weft::Error for a model without a tokenizer. Thread-safe.
  //
  // `text` as tokens (no BOS): with parse_special, text of control tokens ("<|im_end|>")
  // becomes those tokens; without, it stays text.
  std::vector<int32_t> encode(std::string_view text, bool parse_special = false) const;
  // The bytes `token` stands for in decoded text (a byte token gives its byte; control tokens
  // their text). Throws weft::Error for an id outside the vocabulary.
  std::string token_bytes(int32_t token) const;
  // Control and user-defined tokens, ascending.
  std::vector<int32_t> special_tokens() const;
  // Tokens that end a generation (EOS, EOT, <|im_end|>…), ascending.
  std::vector<int32_t> stop_tokens() const;
  // The chat template's rendering of `messages` (with the generation prompt when asked), as
  // Context::append_turn tokenises it. Throws weft::Error(invalid_request) without a template.
  std::vector<int32_t> render_chat(std::span<const Message> messages,
                                   bool add_generation_prompt) const;
  // BOS when the vocabulary asks for it at the start of a text (what append_text puts first
  // on an empty context); nullopt otherwise.
  std::optional<int32_t> bos_token() const;
  // The byte-level BPE pre-tokenizer's regexes, applied in order (empty for other tokenizers).
  std::vector<std::string> split_patterns() const;
  // Distinct KV pages the contexts hold together (a page shared by several counts once).
  int64_t distinct_pages(std::span<const Context* const> contexts) const;
  int64_t context_length() const;
  int64_t page_tokens() const;
  // A name for the loaded model: the GGUF's general.name, else the file's stem.
  std::string model_name() const;
  // The chat template's Jinja source (the replacement given at open, else the model's);
  // empty when there is none.
  std::string chat_template() const;

 private:
  friend struct detail::ContextRuntimeAccess;
  explicit ContextRuntime(std::shared_ptr<detail::ContextRuntimeState> state);
  std::shared_ptr<detail::ContextRuntimeState> state_;
};

class WEFT_EXPORT Context {
 public:
  friend struct detail::ContextRuntimeAccess;
  struct Impl;
  explicit Context(std::unique_ptr<Impl> impl);
  ~Context();
  Context(Context&&) noexcept;
  Context& operator=(Context&&) noexcept;

  // Runs the tokens through the model in one pass. When the context is empty and the
  // prefix cache holds pages for the start of `tokens`, those are adopted, not recomputed.
  // Throws weft::Error (the context unchanged) for a bad token, the context length, a full
  // pool, or a context already appending on another thread.
  void append(std::span<const int32_t> tokens);
  // Appends as append() does and returns the next-token logits after each token at `rows`
  // (indices into `tokens`, any order, repeats allowed): rows.size() × vocabulary_size()
  // floats, in the order of `rows`. Cached prefix pages are adopted only before the first
  // row asked for. Throws weft::Error (the context unchanged) for a row outside `tokens`,
  // or as append() does.
  std::vector<float> append_with_logits(std::span<const int32_t> tokens,
                                        std::span<const int64_t> rows);
  // Appends as append_with_logits() does, each token attending only to the positions its
  // attention mask allows: token i, at position length() + i, sees position j when
  // attention_masks[i][j] is true, instead of all of 0..length() + i. A mask has exactly
  // length() + i + 1 entries (a token never sees later positions) and allows at least one;
  // an empty mask is the causal one, and so is an empty `attention_masks`. A mask allowing
  // every position gives the causal logits bit for bit. The context's pages then hold what
  // the masked tokens computed, so from the first masked position on they are never put in
  // the prefix cache (nor are its forks' or snapshots'), and cached prefixes are not adopted
  // by a masked append. Throws weft::Error (the context unchanged) when there are masks but
  // not one per token, for a mask of the wrong length or one that hides every position, or as
  // append_with_logits() does.
  std::vector<float> append_with_logits(std::span<const int32_t> tokens,
                                        std::span<const int64_t> rows,
                                        std::span<const std::vector<bool>> attention_masks);
  // Tokenises `text` with the model's tokenizer and appends it, as append() does. Each call is
  // tokenised on its own; on an empty context BOS comes first when the vocabulary asks for it.
  // parse_special: text of control tokens ("<|im_end|>") becomes those tokens; off, it stays
  // text. Throws weft::Error as append() does.
  void append_text(std::string_view text, bool parse_special = false);
  // Adds `message` to the context's conversation and appends the tokens by which the chat
  // template's rendering of the whole conversation (with the generation prompt when asked)
  // goes past what the context holds. Template text is tokenised with special tokens, message
  // content without. Tokens appended by other means count: after sampling an answer, the
  // assistant message extends the context when the template renders it as those tokens. Throws
  // weft::Error (the context unchanged) when the model has no chat template, or when the
  // rendering does not start with the context's tokens (never rewrites what is there).
  void append_turn(const Message& message, bool add_generation_prompt = false);
  // Appends the template's generation prompt (e.g. "<|im_start|>assistant\n") after the
  // conversation, so that the next token can be sampled as the assistant's answer.
  void append_generation_prompt();
  // The messages append_turn added; forks and snapshots keep them, truncate and release
  // forget them.
  const std::vector<Message>& messages() const;
  // The next-token logits after the last token; empty for an empty context.
  std::span<const float> logits() const;
  const std::vector<int32_t>& tokens() const;
  int64_t length() const;
  // KV pages this context holds, and how many of them another holder (a context, a snapshot,
  // the prefix cache, a request) holds too.
  int64_t pages() const;
  int64_t shared_pages() const;

  Context fork() const;
  void save(const std::string& name) const;
  std::string snapshot() const;  // a generated name
  // Keeps the first `length` tokens (recomputing the last one's logits in one pass).
  void truncate(int64_t length);
  // Keeps the first `length` tokens and takes `last_logits` as the next-token logits after
  // the last one, instead of recomputing them: for callers that have them from a row of
  // append_with_logits (speculative verification). Unlike truncate(length), messages() are
  // kept: a later append_turn re-renders the conversation and appends what is missing.
  // Throws weft::Error for a length outside 1..length() or logits that are not
  // vocabulary_size() floats.
  void truncate(int64_t length, std::span<const float> last_logits);
  // Frees the pages now; the context is then empty (and reusable).
  void release();

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft
