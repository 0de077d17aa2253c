// Read-only measurements of one row of next-token logits (Context::logits(),
// Context::append_with_logits), as weft's `eval` probes and the program protocol's probes
// compute them: natural logs of the row's plain softmax (temperature 1 unless given), in
// double precision with the maximum subtracted. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "weft/export.hpp"

namespace weft::probes {

struct WEFT_EXPORT TokenProbability {
  int32_t token = 0;
  float value = 0.0f;  // a log-probability or a probability, as the function says
};

// The k most likely tokens with their log-probabilities, most likely first (ties: lower id
// first); k is capped at the row's length.
WEFT_EXPORT std::vector<TokenProbability> top_logprobs(std::span<const float> logits, uint32_t k);
// The log-probability of each token, in the order given. Throws weft::Error(invalid_request)
// for a token outside the row.
WEFT_EXPORT std::vector<float> logprobs(std::span<const float> logits,
                                        std::span<const int32_t> tokens);
// Probabilities of softmax(logits / temperature) of the k most likely tokens (k = 0: all),
// most likely first. Throws weft::Error(invalid_request) for a temperature that is not > 0.
WEFT_EXPORT std::vector<TokenProbability> distribution(std::span<const float> logits,
                                                       float temperature, uint32_t k);
// Shannon entropy of the softmax, in nats.
WEFT_EXPORT double entropy(std::span<const float> logits);

}  // namespace weft::probes
