// weft::probes (include/weft/probes.hpp) over the runtime's probes (runtime/probes.hpp).
#include "weft/probes.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "runtime/probes.hpp"
#include "weft/error.hpp"

namespace weft::probes {

std::vector<TokenProbability> top_logprobs(std::span<const float> logits, uint32_t k) {
  std::vector<TokenProbability> top;
  for (const auto& entry : runtime::top_logprobs(logits, k))
    top.push_back({entry.id, entry.logprob});
  return top;
}

std::vector<float> logprobs(std::span<const float> logits, std::span<const int32_t> tokens) {
  return runtime::token_logprobs(logits, tokens);
}

std::vector<TokenProbability> distribution(std::span<const float> logits, float temperature,
                                           uint32_t k) {
  if (!(temperature > 0.0f) || !std::isfinite(temperature)) {
    throw Error("distribution: the temperature must be finite and > 0");
  }
  std::vector<float> scaled(logits.begin(), logits.end());
  for (auto& value : scaled) value /= temperature;
  const double total = runtime::log_sum_exp(scaled);
  std::vector<int32_t> ids(scaled.size());
  std::iota(ids.begin(), ids.end(), 0);
  const size_t keep = k == 0 ? ids.size() : std::min<size_t>(k, ids.size());
  std::partial_sort(
      ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(keep), ids.end(),
      [&](int32_t a, int32_t b) { return scaled[a] != scaled[b] ? scaled[a] > scaled[b] : a < b; });
  std::vector<TokenProbability> top;
  top.reserve(keep);
  for (size_t i = 0; i < keep; ++i) {
    top.push_back({ids[i], static_cast<float>(std::exp(scaled[ids[i]] - total))});
  }
  return top;
}

double entropy(std::span<const float> logits) {
  return runtime::entropy(logits);
}

}  // namespace weft::probes
