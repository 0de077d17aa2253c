#include "runtime/sampler.hpp"

#include <algorithm>
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

// Fills `scratch.candidates` with one entry per vocabulary id, in id order. NaN logits are
// treated as masked (-inf) so that one bad value cannot be drawn or poison the softmax.
std::span<Candidate> load_candidates(std::span<const float> logits, SamplingScratch& scratch) {
  if (logits.empty()) throw Error(ErrorCode::internal, "sampler: the logits row is empty");
  auto& candidates = scratch.candidates;
  candidates.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) {
    float logit = logits[i];
    candidates[i] = {std::isnan(logit) ? kNegativeInfinity : logit, static_cast<TokenId>(i)};
  }
  return candidates;
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

std::span<Candidate> keep_top_p(std::span<Candidate> candidates, float p) {
  if (p >= 1.0f || candidates.size() <= 1) return candidates;
  // Sort only as much of the head as the mass needs: usually a few dozen tokens of 150k.
  size_t sorted = 0;
  size_t head = std::min<size_t>(candidates.size(), 64);
  double mass = 0.0;
  while (true) {
    auto rest = candidates.subspan(sorted);
    size_t grow = head - sorted;
    if (grow < rest.size()) {
      std::nth_element(rest.begin(), rest.begin() + grow, rest.end(), ranks_before);
    }
    std::sort(rest.begin(), rest.begin() + grow, ranks_before);
    for (size_t i = sorted; i < head; ++i) {
      mass += candidates[i].value;
      if (mass >= p) return candidates.first(i + 1);
    }
    if (head == candidates.size()) return candidates;  // rounding left the mass just short
    sorted = head;
    head = std::min(candidates.size(), head * 4);
  }
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

TokenId argmax(std::span<const Candidate> candidates) {
  const Candidate* best = &candidates.front();
  for (const auto& c : candidates) {
    if (ranks_before(c, *best)) best = &c;
  }
  return best->id;
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

void Sampler::apply_penalties(std::span<Candidate> candidates, SamplingScratch& scratch) const {
  // Candidates are still in id order here, so an id indexes its own entry.
  const auto in_vocabulary = [&](TokenId id) {
    return id >= 0 && static_cast<size_t>(id) < candidates.size();
  };
  if (config_.repeat_penalty != 1.0f && !window_.empty()) {
    auto& distinct = scratch.window;
    distinct.assign(window_.begin(), window_.end());
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (TokenId id : distinct) {
      if (!in_vocabulary(id)) continue;
      float& logit = candidates[id].value;
      logit = logit > 0.0f ? logit / config_.repeat_penalty : logit * config_.repeat_penalty;
    }
  }
  if (config_.frequency_penalty != 0.0f || config_.presence_penalty != 0.0f) {
    for (const auto& [id, count] : generated_counts_) {
      if (!in_vocabulary(id)) continue;
      candidates[id].value -=
          static_cast<float>(count) * config_.frequency_penalty + config_.presence_penalty;
    }
  }
}

std::span<const Candidate> Sampler::distribution(std::span<const float> logits,
                                                 SamplingScratch& scratch) {
  auto candidates = load_candidates(logits, scratch);
  apply_penalties(candidates, scratch);
  if (config_.greedy()) {
    TokenId best = sampling::argmax(candidates);
    if (candidates[best].value == kNegativeInfinity) {
      throw Error(ErrorCode::internal, "sampler: every logit is -inf or NaN; nothing to sample");
    }
    candidates[0] = {1.0f, best};
    return candidates.first(1);
  }
  candidates = sampling::keep_top_k(candidates, config_.top_k);
  candidates = sampling::softmax(candidates, config_.temperature);
  candidates = sampling::keep_top_p(candidates, config_.top_p);
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
