#include "program/row_ops.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

#include "protocol/base64.hpp"
#include "runtime/probes.hpp"
#include "weft/error.hpp"
#include "weft/probes.hpp"
#include "weft/sampler.hpp"

namespace weft::program {
namespace {

using nlohmann::json;

template <typename T>
T field(const json& spec, const char* name, T fallback, const char* what) {
  const auto found = spec.find(name);
  if (found == spec.end() || found->is_null()) return fallback;
  if (!found->is_number()) throw Error(std::string(what) + ": '" + name + "' must be a number");
  return found->get<T>();
}

const std::string& kind_of(const json& spec, const char* what) {
  if (!spec.is_object() || !spec.contains("kind") || !spec["kind"].is_string()) {
    throw Error(std::string(what) + ": an object with a string 'kind' is required");
  }
  return spec["kind"].get_ref<const std::string&>();
}

GenerationOptions chain_for(const SamplerSpec& spec, uint64_t seed) {
  using Kind = SamplerSpec::Kind;
  GenerationOptions options;
  options.seed = seed;
  options.top_k = 0;
  options.top_p = 1.0f;
  options.min_p = 0.0f;
  options.repeat_penalty = 1.0f;
  options.temperature = spec.kind == Kind::argmax ? 0.0f : spec.temperature;
  if (spec.kind == Kind::top_p || spec.kind == Kind::top_k_top_p) options.top_p = spec.p;
  if (spec.kind == Kind::top_k || spec.kind == Kind::top_k_top_p) options.top_k = spec.k;
  if (spec.kind == Kind::min_p) options.min_p = spec.p;
  return options;
}

json distribution(std::span<const float> logits, float temperature, uint32_t k) {
  json ids = json::array();
  json probs = json::array();
  for (const auto& entry : probes::distribution(logits, temperature, k)) {
    ids.push_back(entry.token);
    probs.push_back(entry.value);
  }
  return {{"ids", std::move(ids)}, {"probs", std::move(probs)}};
}

// The first id of the highest logit that `allowed` lets through (NaN and -inf never win;
// logits.size() when nothing does). Independent lanes, so that the compare of one value does
// not wait for the one before: a single running maximum makes this a chain as long as the
// vocabulary.
template <typename Allowed>
size_t first_highest(std::span<const float> logits, Allowed allowed) {
  constexpr size_t kLanes = 16;
  std::array<float, kLanes> highest;
  highest.fill(-std::numeric_limits<float>::infinity());
  std::array<size_t, kLanes> first;
  first.fill(logits.size());
  size_t id = 0;
  for (; id + kLanes <= logits.size(); id += kLanes) {
    for (size_t lane = 0; lane < kLanes; ++lane) {
      if (logits[id + lane] > highest[lane] && allowed(id + lane)) {
        highest[lane] = logits[id + lane];
        first[lane] = id + lane;
      }
    }
  }
  for (size_t lane = 0; id < logits.size(); ++id, ++lane) {
    if (logits[id] > highest[lane] && allowed(id)) {
      highest[lane] = logits[id];
      first[lane] = id;
    }
  }
  size_t best = 0;
  for (size_t lane = 1; lane < kLanes; ++lane) {
    const bool higher = highest[lane] > highest[best];
    if (higher || (highest[lane] == highest[best] && first[lane] < first[best])) best = lane;
  }
  return first[best];
}

// The first highest logit that `mask` allows (NaN counts as -inf), read in place: the
// sampling chain would copy the row (twice under a mask) to find the same token.
int32_t greedy_token(std::span<const float> logits, const TokenMask* mask) {
  if (logits.empty()) throw Error("sampler: no logits (the context is empty)");
  if (mask && mask->none()) throw Error("sampler: the constraints allow no token here");
  const auto words = mask ? mask->words() : std::span<const uint64_t>();
  const size_t best =
      mask ? first_highest(logits,
                           [&](size_t id) { return ((words[id >> 6] >> (id & 63)) & 1) != 0; })
           : first_highest(logits, [](size_t) { return true; });
  if (best == logits.size()) {
    throw Error(ErrorCode::internal, "sampler: every logit is -inf or NaN; nothing to sample");
  }
  return static_cast<int32_t>(best);
}

}  // namespace

SamplerSpec parse_sampler(const json& spec) {
  using Kind = SamplerSpec::Kind;
  const auto& kind = kind_of(spec, "sampler");
  SamplerSpec sampler;
  if (kind == "argmax") {
    sampler.kind = Kind::argmax;
  } else if (kind == "top_p") {
    sampler.kind = Kind::top_p;
  } else if (kind == "top_k") {
    sampler.kind = Kind::top_k;
  } else if (kind == "min_p") {
    sampler.kind = Kind::min_p;
  } else if (kind == "top_k_top_p") {
    sampler.kind = Kind::top_k_top_p;
  } else if (kind == "multinomial") {
    sampler.kind = Kind::multinomial;
  } else {
    throw Error("sampler: unknown kind '" + kind +
                "' (argmax, top_p, top_k, min_p, top_k_top_p, multinomial)");
  }
  sampler.temperature = field<float>(spec, "temperature", 1.0f, "sampler");
  sampler.p = field<float>(spec, "p", 1.0f, "sampler");
  const auto k = field<int64_t>(spec, "k", 0, "sampler");
  const auto draws = field<int64_t>(spec, "draws", 1, "sampler");
  if (k < 0 || k > UINT32_MAX) throw Error("sampler: 'k' must be between 0 and 2^32-1");
  if (draws < 1 || draws > 4096) throw Error("sampler: 'draws' must be between 1 and 4096");
  if (!std::isfinite(sampler.temperature) || sampler.temperature < 0.0f) {
    throw Error("sampler: 'temperature' must be finite and >= 0");
  }
  if (!(sampler.p >= 0.0f && sampler.p <= 1.0f)) throw Error("sampler: 'p' must be in 0..1");
  sampler.k = static_cast<uint32_t>(k);
  sampler.draws = static_cast<uint32_t>(draws);
  if (spec.contains("seed") && !spec["seed"].is_null()) {
    if (!spec["seed"].is_number_unsigned()) throw Error("sampler: 'seed' must be an integer >= 0");
    sampler.seed = spec["seed"].get<uint64_t>();
  }
  return sampler;
}

ProbeSpec parse_probe(const json& spec) {
  using Kind = ProbeSpec::Kind;
  const auto& kind = kind_of(spec, "probe");
  ProbeSpec probe;
  if (kind == "logits") {
    probe.kind = Kind::logits;
  } else if (kind == "distribution") {
    probe.kind = Kind::distribution;
    probe.temperature = field<float>(spec, "temperature", 1.0f, "probe");
    const auto k = field<int64_t>(spec, "k", 0, "probe");
    if (k < 0 || k > UINT32_MAX) throw Error("probe: 'k' must be between 0 and 2^32-1");
    probe.k = static_cast<uint32_t>(k);
  } else if (kind == "logprobs") {
    probe.kind = Kind::logprobs;
    const auto tokens = spec.find("tokens");
    if (tokens == spec.end() || !tokens->is_array()) {
      throw Error("probe: logprobs needs 'tokens', an array of token ids");
    }
    for (const auto& token : *tokens) {
      if (!token.is_number_integer()) throw Error("probe: 'tokens' must hold integers");
      probe.tokens.push_back(token.get<int32_t>());
    }
  } else if (kind == "entropy") {
    probe.kind = Kind::entropy;
  } else {
    throw Error("probe: unknown kind '" + kind + "' (logits, distribution, logprobs, entropy)");
  }
  return probe;
}

std::vector<int32_t> sample_row(std::span<const float> logits, const SamplerSpec& spec,
                                const TokenMask* mask, uint64_t seed) {
  const bool mask_fits = !mask || mask->vocabulary_size() == static_cast<int64_t>(logits.size());
  if (spec.kind == SamplerSpec::Kind::argmax && mask_fits) return {greedy_token(logits, mask)};
  Sampler sampler(chain_for(spec, seed));
  std::vector<int32_t> tokens;
  const uint32_t draws = spec.kind == SamplerSpec::Kind::multinomial ? spec.draws : 1;
  for (uint32_t i = 0; i < draws; ++i) {
    tokens.push_back(mask ? sampler.sample(logits, *mask) : sampler.sample(logits));
  }
  return tokens;
}

json probe_row(std::span<const float> logits, const ProbeSpec& spec) {
  using Kind = ProbeSpec::Kind;
  switch (spec.kind) {
    case Kind::logits:
      return {{"logits", protocol::base64_floats(logits)}};
    case Kind::distribution:
      return distribution(logits, spec.temperature, spec.k);
    case Kind::logprobs:
      return {{"logprobs", runtime::token_logprobs(logits, spec.tokens)}};
    case Kind::entropy:
      return {{"entropy", runtime::entropy(logits)}};
  }
  return {};
}

}  // namespace weft::program
