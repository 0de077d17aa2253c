// Draft-model speculation for weft::Generator (weft/generator.hpp, weft/speculator.hpp): a
// second, smaller model with the same vocabulary as the target proposes the next tokens
// greedily, and the generator verifies them all in one pass of the target. The generated
// tokens are those of the target alone (greedy token for token, seeded sampling draw for
// draw); a draft model that agrees with the target often saves target passes.
//
//   auto target = weft::ContextRuntime::open({.model_path = "model-q8_0.gguf"});
//   auto draft = weft::ContextRuntime::open({.model_path = "model-q4_0.gguf"});
//   weft::DraftModelSpeculator drafts(*target, draft, {.draft_tokens = 6});
//   weft::Generator generator(*target, context, {.sampling = {...}, .speculator = &drafts});
//
// The speculator keeps its own Context on the draft runtime, which follows the accepted
// sequence: drafts the target refused are cut off with Context::truncate (with the logits
// it kept from drafting, so nothing is recomputed), and only the tokens the draft model has
// not seen are appended. Each round costs the draft model one pass per drafted token.
//
// Threads: one thread at a time (the generator's). Other contexts may use the draft runtime
// meanwhile. Errors: the constructor throws weft::Error (invalid_request) when the two
// vocabularies differ in size or in any token's text, naming both models, and for options
// out of range; draft() throws weft::Error as Context::append does on the draft runtime.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "weft/context.hpp"
#include "weft/export.hpp"
#include "weft/speculator.hpp"

namespace weft {

struct WEFT_EXPORT DraftModelOptions {
  // Tokens proposed per round (1..64): more saves more target passes when the draft model
  // agrees with the target, and costs more draft passes when it does not.
  size_t draft_tokens = 4;
  // A round stops early at a token the draft model itself gives less than this probability
  // (0: always draft_tokens tokens, unless the draft model proposes a stop token).
  float min_probability = 0.0f;
};

class WEFT_EXPORT DraftModelSpeculator final : public Speculator {
 public:
  // `target` is only read here (for its vocabulary); `draft` is kept.
  DraftModelSpeculator(const ContextRuntime& target, std::shared_ptr<ContextRuntime> draft,
                       DraftModelOptions options = {});

  std::vector<int32_t> draft() override;
  void accept(std::span<const int32_t> tokens) override;
  // Nothing to undo at once: the next draft() cuts the draft context back to the sequence.
  void rollback(size_t) override {}
  // Forgets the sequence; the draft context is kept, and its common prefix with the next
  // sequence is not computed again.
  void reset() override { history_.clear(); }

  // Tokens the draft model has run (its prompt included), for reports.
  int64_t draft_rows() const { return draft_rows_; }

 private:
  // Brings the draft context to the accepted sequence: its logits are then the next-token
  // logits after history_.
  void follow_history();
  // The logits the draft context had after its first `length` tokens, when this round's
  // drafting kept them.
  const std::vector<float>* kept_logits(int64_t length) const;
  void append_to_draft(std::span<const int32_t> tokens);

  std::shared_ptr<ContextRuntime> draft_runtime_;
  Context context_;
  DraftModelOptions options_;
  std::vector<int32_t> stop_tokens_;  // sorted: a draft ends after one
  std::vector<int32_t> history_;
  // kept_[i]: the next-token logits after the first kept_from_ + i tokens of the context.
  int64_t kept_from_ = 0;
  std::vector<std::vector<float>> kept_;
  int64_t draft_rows_ = 0;
};

}  // namespace weft
