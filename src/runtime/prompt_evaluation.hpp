// Evaluates a prompt in one batch and optionally continues it greedily: what `weft eval`
// does, and what the exactness tests compare with the reference files.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "runtime/engine.hpp"

namespace weft::runtime {

struct PromptEvaluation {
  int64_t n_vocab = 0;
  std::vector<float> prompt_logits;  // n_tokens × n_vocab: row i predicts position i + 1
  std::vector<int32_t> greedy;       // the greedy continuation
  std::vector<float>
      greedy_logits;  // greedy.size() × n_vocab: row k is what greedy[k] was picked from
};

// The highest logit's id; the lowest id wins a tie.
int32_t argmax_token(std::span<const float> logits);

// Appends `tokens` to `sequence` in one pass with logits for every row (or, with
// `every_row_logits` false, for the last row only, as llama-cli asks: prompt_logits then holds
// that row alone), then picks `greedy_tokens` tokens greedily, feeding each back one at a time.
PromptEvaluation evaluate_prompt(Engine& engine, kv::KvSequence& sequence,
                                 std::span<const int32_t> tokens, int64_t greedy_tokens,
                                 bool every_row_logits = true);

}  // namespace weft::runtime
