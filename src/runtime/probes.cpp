#include "runtime/probes.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "weft/error.hpp"

namespace weft::runtime {
namespace {

constexpr double kNegativeInfinityDouble = -std::numeric_limits<double>::infinity();

void require_row(std::span<const float> logits) {
  if (logits.empty()) throw Error(ErrorCode::internal, "probes: the logits row is empty");
}

}  // namespace

double log_sum_exp(std::span<const float> logits) {
  require_row(logits);
  double max_logit = kNegativeInfinityDouble;
  for (float logit : logits) max_logit = std::max(max_logit, static_cast<double>(logit));
  if (max_logit == kNegativeInfinityDouble) return kNegativeInfinityDouble;
  double sum = 0.0;
  for (float logit : logits) sum += std::exp(static_cast<double>(logit) - max_logit);
  return max_logit + std::log(sum);
}

std::vector<TokenLogprob> top_logprobs(std::span<const float> logits, uint32_t k) {
  double normalizer = log_sum_exp(logits);
  size_t count = std::min<size_t>(k, logits.size());
  std::vector<TokenId> ids(logits.size());
  std::iota(ids.begin(), ids.end(), 0);
  auto more_likely = [&](TokenId a, TokenId b) {
    if (logits[a] != logits[b]) return logits[a] > logits[b];
    return a < b;
  };
  std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(count), ids.end(),
                    more_likely);
  std::vector<TokenLogprob> top(count);
  for (size_t i = 0; i < count; ++i) {
    top[i] = {ids[i], static_cast<float>(logits[ids[i]] - normalizer)};
  }
  return top;
}

std::vector<float> token_logprobs(std::span<const float> logits, std::span<const TokenId> ids) {
  double normalizer = log_sum_exp(logits);
  std::vector<float> result;
  result.reserve(ids.size());
  for (TokenId id : ids) {
    if (id < 0 || static_cast<size_t>(id) >= logits.size()) {
      throw Error(ErrorCode::invalid_request, "probes: token id " + std::to_string(id) +
                                                  " is outside the vocabulary of " +
                                                  std::to_string(logits.size()) + " tokens");
    }
    result.push_back(static_cast<float>(logits[id] - normalizer));
  }
  return result;
}

double entropy(std::span<const float> logits) {
  // H = sum p (lse - x): every term is >= 0, so nothing cancels. Masked entries (p = 0) are
  // skipped so that 0 * inf never appears.
  double normalizer = log_sum_exp(logits);
  if (normalizer == kNegativeInfinityDouble) return 0.0;
  double sum = 0.0;
  for (float logit : logits) {
    double surprise = normalizer - logit;
    double p = std::exp(-surprise);
    if (p > 0.0) sum += p * surprise;
  }
  return sum;
}

ProbeResult run_probes(const ProbeRequest& request, std::span<const float> logits) {
  ProbeResult result;
  if (request.logits) result.logits.assign(logits.begin(), logits.end());
  if (request.top_k > 0) result.top = top_logprobs(logits, request.top_k);
  if (!request.token_ids.empty()) result.token_logprobs = token_logprobs(logits, request.token_ids);
  if (request.entropy) result.entropy = entropy(logits);
  return result;
}

}  // namespace weft::runtime
