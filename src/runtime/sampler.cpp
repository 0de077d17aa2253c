#include "runtime/sampler.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <string>

#include "weft/error.hpp"

namespace weft::runtime {
namespace {

constexpr float kNegativeInfinity = -std::numeric_limits<float>::infinity();

void require(bool ok, const char* option, const std::string& rule) {
  if (!ok) throw Error(ErrorCode::invalid_request, std::string(option) + " " + rule);
}

uint64_t fresh_seed() {
  std::random_device device;
  return (static_cast<uint64_t>(device()) << 32) ^ device();
}

// Positive floats order like their bit patterns, so the high bits of a probability name a
// bucket 1/64 of an octave wide, and buckets order like the probabilities in them.
constexpr int kBucketShift = 17;
constexpr size_t kBucketCount = (std::bit_cast<uint32_t>(1.0f) >> kBucketShift) + 1;
size_t bucket_of(float probability) {
  return std::bit_cast<uint32_t>(probability) >> kBucketShift;
}

// Below this many candidates a plain sort is cheaper than the histogram.
constexpr size_t kSortedTopPLimit = 512;
// Above this k the heap in select_top_k loses to nth_element over the whole row.
constexpr uint32_t kHeapTopKLimit = 1024;

std::span<Candidate> keep_top_p_sorted(std::span<Candidate> candidates, float p) {
  std::sort(candidates.begin(), candidates.end(), sampling::ranks_before);
  double mass = 0.0;
  for (size_t i = 0; i < candidates.size(); ++i) {
    mass += candidates[i].value;
    if (mass >= p) return candidates.first(i + 1);
  }
  return candidates;  // rounding left the mass just short of p
}

}  // namespace

SamplerConfig SamplerConfig::from_options(const GenerationOptions& options) {
  SamplerConfig config;
  if (options.temperature) config.temperature = *options.temperature;
  if (options.top_k) config.top_k = *options.top_k;
  if (options.top_p) config.top_p = *options.top_p;
  if (options.min_p) config.min_p = *options.min_p;
  if (options.repeat_penalty) config.repeat_penalty = *options.repeat_penalty;
  if (options.frequency_penalty) config.frequency_penalty = *options.frequency_penalty;
  if (options.presence_penalty) config.presence_penalty = *options.presence_penalty;
  config.seed = options.seed ? *options.seed : fresh_seed();
  config.validate();
  return config;
}

void SamplerConfig::validate() const {
  require(std::isfinite(temperature) && temperature >= 0.0f, "temperature",
          "must be a finite number >= 0, got " + std::to_string(temperature));
  require(top_p >= 0.0f && top_p <= 1.0f, "top_p",
          "must be between 0 and 1, got " + std::to_string(top_p));
  require(min_p >= 0.0f && min_p <= 1.0f, "min_p",
          "must be between 0 and 1, got " + std::to_string(min_p));
  require(std::isfinite(repeat_penalty) && repeat_penalty > 0.0f, "repeat_penalty",
          "must be a finite number > 0, got " + std::to_string(repeat_penalty));
  require(std::isfinite(frequency_penalty), "frequency_penalty", "must be a finite number");
  require(std::isfinite(presence_penalty), "presence_penalty", "must be a finite number");
}

namespace sampling {

bool ranks_before(const Candidate& a, const Candidate& b) {
  if (a.value != b.value) return a.value > b.value;
  return a.id < b.id;
}

std::span<Candidate> keep_top_k(std::span<Candidate> candidates, uint32_t k) {
  if (k == 0 || k >= candidates.size()) return candidates;
  std::nth_element(candidates.begin(), candidates.begin() + k, candidates.end(), ranks_before);
  std::sort(candidates.begin(), candidates.begin() + k, ranks_before);
  return candidates.first(k);
}

void select_top_k(std::span<const float> logits, uint32_t k, std::vector<Candidate>& out) {
  out.clear();
  // A heap of the best k so far with the worst on top: most tokens fail one comparison.
  for (size_t i = 0; i < logits.size(); ++i) {
    Candidate c{logits[i], static_cast<TokenId>(i)};
    if (out.size() < k) {
      out.push_back(c);
      std::push_heap(out.begin(), out.end(), ranks_before);
    } else if (c.value > out.front().value) {  // a later id never wins a tie
      std::pop_heap(out.begin(), out.end(), ranks_before);
      out.back() = c;
      std::push_heap(out.begin(), out.end(), ranks_before);
    }
  }
  std::sort_heap(out.begin(), out.end(), ranks_before);
}

std::span<Candidate> softmax(std::span<Candidate> candidates, float temperature) {
  float max_logit = kNegativeInfinity;
  for (const auto& c : candidates) max_logit = std::max(max_logit, c.value);
  if (max_logit == kNegativeInfinity) {
    throw Error(ErrorCode::internal, "sampler: every logit is -inf or NaN; nothing to sample");
  }
  double sum = 0.0;
  size_t kept = 0;
  for (auto& c : candidates) {
    float weight = std::exp((c.value - max_logit) / temperature);
    if (weight > 0.0f) {
      candidates[kept++] = {weight, c.id};
      sum += weight;
    }
  }
  for (size_t i = 0; i < kept; ++i) {
    candidates[i].value = static_cast<float>(candidates[i].value / sum);
  }
  return candidates.first(kept);
}

std::span<Candidate> keep_top_p(std::span<Candidate> candidates, float p, TopPWorkspace& work) {
  if (p >= 1.0f || candidates.size() <= 1) return candidates;
  if (candidates.size() <= kSortedTopPLimit) return keep_top_p_sorted(candidates, p);
  // Find the bucket where the cumulative mass reaches p; everything in higher buckets stays,
  // and only the boundary bucket needs sorting.
  auto& mass_of = work.bucket_mass;
  mass_of.assign(kBucketCount, 0.0);
  for (const auto& c : candidates) mass_of[bucket_of(c.value)] += c.value;
  double mass_above = 0.0;
  size_t boundary = kBucketCount;
  for (size_t b = kBucketCount; b-- > 0;) {
    if (mass_above + mass_of[b] >= p) {
      boundary = b;
      break;
    }
    mass_above += mass_of[b];
  }
  if (boundary == kBucketCount) return candidates;  // rounding left the mass just short of p
  auto& tied = work.boundary;
  tied.clear();
  size_t kept = 0;
  for (const auto& c : candidates) {
    size_t b = bucket_of(c.value);
    if (b > boundary) {
      candidates[kept++] = c;
    } else if (b == boundary) {
      tied.push_back(c);
    }
  }
  std::sort(tied.begin(), tied.end(), ranks_before);
  double mass = mass_above;
  size_t take = 0;
  while (take < tied.size()) {
    mass += tied[take++].value;
    if (mass >= p) break;
  }
  for (size_t i = 0; i < take; ++i) candidates[kept++] = tied[i];
  return candidates.first(kept);
}

std::span<Candidate> keep_min_p(std::span<Candidate> candidates, float min_p) {
  if (min_p <= 0.0f || candidates.empty()) return candidates;
  float best = 0.0f;
  for (const auto& c : candidates) best = std::max(best, c.value);
  float threshold = min_p * best;
  size_t kept = 0;
  for (const auto& c : candidates) {
    if (c.value >= threshold) candidates[kept++] = c;
  }
  return candidates.first(kept);
}

void normalize(std::span<Candidate> candidates) {
  double sum = 0.0;
  for (const auto& c : candidates) sum += c.value;
  if (sum <= 0.0) return;
  for (auto& c : candidates) c.value = static_cast<float>(c.value / sum);
}

TokenId draw(std::span<const Candidate> candidates, double u) {
  double total = 0.0;
  for (const auto& c : candidates) total += c.value;
  double target = u * total;
  double cumulative = 0.0;
  TokenId last_possible = candidates.front().id;
  for (const auto& c : candidates) {
    if (c.value <= 0.0f) continue;
    cumulative += c.value;
    last_possible = c.id;
    if (target < cumulative) return c.id;
  }
  return last_possible;  // u * total rounded up to the full sum
}

TokenId argmax(std::span<const float> values) {
  size_t best = 0;
  for (size_t i = 1; i < values.size(); ++i) {
    if (values[i] > values[best]) best = i;
  }
  if (values.empty() || !(values[best] > kNegativeInfinity)) return -1;
  return static_cast<TokenId>(best);
}

}  // namespace sampling

Sampler::Sampler(SamplerConfig config) : config_(config), random_(config.seed) {
  config_.validate();
  window_.reserve(config_.repeat_last_n);
  generated_counts_.reserve(256);
}

void Sampler::push_to_window(TokenId token) {
  if (config_.repeat_last_n == 0) return;
  if (window_.size() < config_.repeat_last_n) {
    window_.push_back(token);
    return;
  }
  window_[window_next_] = token;
  window_next_ = (window_next_ + 1) % window_.size();
}

void Sampler::observe_prompt(std::span<const TokenId> tokens) {
  // Only the last repeat_last_n can matter.
  size_t skip = tokens.size() > config_.repeat_last_n ? tokens.size() - config_.repeat_last_n : 0;
  for (TokenId token : tokens.subspan(skip)) push_to_window(token);
}

void Sampler::accept(TokenId token) {
  push_to_window(token);
  auto it = std::lower_bound(generated_counts_.begin(), generated_counts_.end(), token,
                             [](const auto& entry, TokenId id) { return entry.first < id; });
  if (it != generated_counts_.end() && it->first == token) {
    ++it->second;
  } else {
    generated_counts_.insert(it, {token, 1});
  }
}

std::span<float> Sampler::penalised_logits(std::span<const float> logits,
                                           SamplingScratch& scratch) const {
  if (logits.empty()) throw Error(ErrorCode::internal, "sampler: the logits row is empty");
  auto& values = scratch.logits;
  values.resize(logits.size());
  // NaN counts as masked (-inf) so that one bad value can neither be drawn nor poison the sums.
  for (size_t i = 0; i < logits.size(); ++i) {
    values[i] = std::isnan(logits[i]) ? kNegativeInfinity : logits[i];
  }
  const auto in_vocabulary = [&](TokenId id) {
    return id >= 0 && static_cast<size_t>(id) < values.size();
  };
  if (config_.repeat_penalty != 1.0f && !window_.empty()) {
    auto& distinct = scratch.window;
    distinct.assign(window_.begin(), window_.end());
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (TokenId id : distinct) {
      if (!in_vocabulary(id)) continue;
      float& logit = values[id];
      logit = logit > 0.0f ? logit / config_.repeat_penalty : logit * config_.repeat_penalty;
    }
  }
  if (config_.frequency_penalty != 0.0f || config_.presence_penalty != 0.0f) {
    for (const auto& [id, count] : generated_counts_) {
      if (!in_vocabulary(id)) continue;
      values[id] -=
          static_cast<float>(count) * config_.frequency_penalty + config_.presence_penalty;
    }
  }
  return values;
}

std::span<const Candidate> Sampler::distribution(std::span<const float> logits,
                                                 SamplingScratch& scratch) {
  auto values = penalised_logits(logits, scratch);
  auto& all = scratch.candidates;
  if (config_.greedy()) {
    TokenId best = sampling::argmax(values);
    if (best < 0) {
      throw Error(ErrorCode::internal, "sampler: every logit is -inf or NaN; nothing to sample");
    }
    all.assign(1, {1.0f, best});
    return all;
  }
  std::span<Candidate> candidates;
  const uint32_t k = config_.top_k;
  if (k != 0 && k < values.size() && k <= kHeapTopKLimit) {
    sampling::select_top_k(values, k, all);
    candidates = all;
  } else {
    all.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) all[i] = {values[i], static_cast<TokenId>(i)};
    candidates = sampling::keep_top_k(all, k);
  }
  candidates = sampling::softmax(candidates, config_.temperature);
  candidates = sampling::keep_top_p(candidates, config_.top_p, scratch.top_p);
  candidates = sampling::keep_min_p(candidates, config_.min_p);
  sampling::normalize(candidates);
  return candidates;
}

TokenId Sampler::sample(std::span<const float> logits) {
  return sample(logits, own_scratch_);
}

TokenId Sampler::sample(std::span<const float> logits, SamplingScratch& scratch) {
  auto candidates = distribution(logits, scratch);
  if (config_.greedy()) return candidates.front().id;
  return sampling::draw(candidates, random_.uniform());
}

}  // namespace weft::runtime
