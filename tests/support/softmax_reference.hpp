// A plain double-precision softmax of one logits row, written from the definition, as the
// independent reference for the probes (top-k log-probabilities, token log-probabilities,
// entropy) that the engine and `weft eval` report.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <span>
#include <vector>

namespace weft::test {

// log p_i = x_i - log(sum_j exp(x_j)), in double.
inline std::vector<double> reference_logprobs(std::span<const float> logits) {
  const double max_logit = *std::max_element(logits.begin(), logits.end());
  double sum = 0.0;
  for (float logit : logits) sum += std::exp(static_cast<double>(logit) - max_logit);
  const double normalizer = max_logit + std::log(sum);
  std::vector<double> logprobs;
  logprobs.reserve(logits.size());
  for (float logit : logits) logprobs.push_back(static_cast<double>(logit) - normalizer);
  return logprobs;
}

// -sum p log p in nats.
inline double reference_entropy(std::span<const float> logits) {
  double entropy = 0.0;
  for (double logprob : reference_logprobs(logits)) entropy -= std::exp(logprob) * logprob;
  return entropy;
}

// The k ids with the highest log-probability, highest first (lower id first on a tie).
inline std::vector<int32_t> reference_top_ids(std::span<const float> logits, size_t k) {
  std::vector<int32_t> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::stable_sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
    return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)];
  });
  ids.resize(std::min(k, ids.size()));
  return ids;
}

}  // namespace weft::test
