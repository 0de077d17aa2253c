#include "runtime/prompt_evaluation.hpp"

#include "weft/error.hpp"

namespace weft::runtime {

int32_t argmax_token(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
  }
  return best;
}

PromptEvaluation evaluate_prompt(Engine& engine, kv::KvSequence& sequence,
                                 std::span<const int32_t> tokens, int64_t greedy_tokens,
                                 bool every_row_logits) {
  if (tokens.empty()) throw Error("no tokens to evaluate");
  PromptEvaluation result;
  result.n_vocab = engine.config().n_vocab;
  std::vector<ForwardRow> rows;
  const int64_t start = sequence.length();
  for (size_t i = 0; i < tokens.size(); ++i) {
    const bool want_logits = every_row_logits || i + 1 == tokens.size();
    rows.push_back({&sequence, tokens[i], start + static_cast<int64_t>(i), want_logits, false});
  }
  ForwardOutputs outputs;
  engine.forward(rows, outputs);
  result.prompt_logits = std::move(outputs.logits);

  const size_t last_row = every_row_logits ? tokens.size() - 1 : 0;
  std::span<const float> last(
      result.prompt_logits.data() + last_row * static_cast<size_t>(result.n_vocab),
      static_cast<size_t>(result.n_vocab));
  for (int64_t k = 0; k < greedy_tokens; ++k) {
    result.greedy_logits.insert(result.greedy_logits.end(), last.begin(), last.end());
    const int32_t next = argmax_token(last);
    result.greedy.push_back(next);
    if (k + 1 == greedy_tokens) break;
    const ForwardRow row{&sequence, next, sequence.length(), true, false};
    engine.forward(std::span(&row, 1), outputs);
    last = outputs.logits_at(0);
  }
  return result;
}

}  // namespace weft::runtime
