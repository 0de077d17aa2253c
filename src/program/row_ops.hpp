// What a program asks of one logits row in a `forward` (docs/programs.md): a sampler (weft's
// sampling chain, set so that only the named filter is on) or a probe.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <vector>

#include "weft/constraint.hpp"

namespace weft::program {

struct SamplerSpec {
  enum class Kind { argmax, top_p, top_k, min_p, top_k_top_p, multinomial };
  Kind kind = Kind::argmax;
  float temperature = 1.0f;
  float p = 1.0f;
  uint32_t k = 0;
  uint32_t draws = 1;  // multinomial only
  std::optional<uint64_t> seed;
};

struct ProbeSpec {
  enum class Kind { logits, distribution, logprobs, entropy };
  Kind kind = Kind::logits;
  float temperature = 1.0f;     // distribution
  uint32_t k = 0;               // distribution; 0 = the whole vocabulary
  std::vector<int32_t> tokens;  // logprobs
};

// Throw weft::Error(invalid_request) naming the field for a bad spec.
SamplerSpec parse_sampler(const nlohmann::json& spec);
ProbeSpec parse_probe(const nlohmann::json& spec);

// The sampled tokens (spec.draws of them for multinomial, else one) under `mask` (none:
// nullptr). Throws weft::Error when the mask allows nothing.
std::vector<int32_t> sample_row(std::span<const float> logits, const SamplerSpec& spec,
                                const TokenMask* mask, uint64_t seed);
// The probe's result object (docs/programs.md). Throws for a token outside the vocabulary.
nlohmann::json probe_row(std::span<const float> logits, const ProbeSpec& spec);

}  // namespace weft::program
