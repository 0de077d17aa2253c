// Read-only measurements of one logits row: what a caller asks for instead of (or beside) a
// sampled token. All log-probabilities are natural logs of the plain softmax of the row
// (temperature 1, no penalties or filters), computed in double with the max subtracted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace weft::runtime {

using TokenId = int32_t;

struct TokenLogprob {
  TokenId id = 0;
  float logprob = 0.0f;
};

// log(sum(exp(logits))), stable for large and -inf entries; -inf when every entry is -inf.
double log_sum_exp(std::span<const float> logits);

// The k most likely tokens, most likely first; ties go to the lower id. k is capped at the
// row's length.
std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, uint32_t k);

// The log-probability of each id, in the order given. Throws weft::Error(invalid_request)
// naming the id when it is outside the vocabulary.
std::vector<float> token_logprobs(std::span<const float> logits, std::span<const TokenId> ids);

// Shannon entropy of the softmax in nats (0 for a one-hot row).
double entropy(std::span<const float> logits);

struct ProbeRequest {
  bool logits = false;             // copy the full row
  uint32_t top_k = 0;              // 0 = no top-k distribution
  std::vector<TokenId> token_ids;  // log-probabilities of these ids
  bool entropy = false;

  bool empty() const { return !logits && top_k == 0 && token_ids.empty() && !entropy; }
};

struct ProbeResult {
  std::vector<float> logits;
  std::vector<TokenLogprob> top;
  std::vector<float> token_logprobs;
  std::optional<double> entropy;
};

ProbeResult run_probes(const ProbeRequest& request, std::span<const float> logits);

}  // namespace weft::runtime
