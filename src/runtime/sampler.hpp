// Turns one row of logits into the next token under a per-sequence configuration.
//
// Steps, in this order (docs/sampling.md explains why):
//   1. penalties   repetition (last N context tokens), then frequency and presence
//                  (tokens generated so far), applied to the raw logits
//   2. greedy      temperature 0: argmax of the penalised logits, lowest id on ties; stop here
//   3. top-k       keep the k highest logits (ties broken towards the lower id)
//   4. temperature divide the logits by T, then softmax over the survivors
//   5. top-p       keep the smallest most-likely prefix whose mass reaches p
//   6. min-p       keep tokens with p >= min_p * p_max
//   7. draw        renormalise and draw with the sequence's own seeded generator
//
// One Sampler belongs to one sequence (its history and random stream are that sequence's);
// a scheduler that samples many rows per model call keeps one Sampler per sequence and may
// share one SamplingScratch between them, so scratch memory does not grow with the batch.
#pragma once

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "weft/types.hpp"

namespace weft::runtime {

using TokenId = int32_t;

struct SamplerConfig {
  float temperature = 0.8f;
  uint32_t top_k = 40;          // 0 = off
  float top_p = 0.95f;          // 1 = off
  float min_p = 0.05f;          // 0 = off
  float repeat_penalty = 1.0f;  // 1 = off
  uint32_t repeat_last_n = 64;  // window of context tokens the repetition penalty sees
  float frequency_penalty = 0.0f;
  float presence_penalty = 0.0f;
  uint64_t seed = 0;

  // Fills unset options with the defaults above and validates every value, throwing
  // weft::Error(invalid_request) naming the option. An unset seed draws one from
  // std::random_device; the chosen seed is stored so that a run can be reported and repeated.
  static SamplerConfig from_options(const GenerationOptions& options);
  void validate() const;

  bool greedy() const { return temperature == 0.0f; }
};

// A surviving token: after the softmax step `value` is its probability, before it the logit.
struct Candidate {
  float value;
  TokenId id;
};

// Working memory for top-p over a large vocabulary: a histogram of probability mass.
struct TopPWorkspace {
  std::vector<double> bucket_mass;
  std::vector<Candidate> boundary;
};

// Working memory for one sampling call; reused across calls so that a warm sampler does not
// allocate per token even for 150k-entry vocabularies.
struct SamplingScratch {
  std::vector<float> logits;  // the penalised copy of the row
  std::vector<Candidate> candidates;
  std::vector<TokenId> window;
  TopPWorkspace top_p;
};

// The documented generator: std::mt19937_64 (its output sequence is fixed by the C++
// standard) and a hand-written uniform draw, so a seed gives the same numbers everywhere.
class SeededRandom {
 public:
  explicit SeededRandom(uint64_t seed) : engine_(seed) {}
  // Uniform in [0, 1): the top 53 bits of one 64-bit output, scaled by 2^-53.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

 private:
  std::mt19937_64 engine_;
};

class Sampler {
 public:
  explicit Sampler(SamplerConfig config);

  // Tokens already in the context (the prompt): they feed the repetition window only.
  void observe_prompt(std::span<const TokenId> tokens);
  // A token that was generated and appended: repetition window and frequency counts.
  void accept(TokenId token);

  // Draws the next token from `logits` (one entry per vocabulary id). Does not accept it.
  // Throws weft::Error(internal) when no logit is finite.
  TokenId sample(std::span<const float> logits);
  TokenId sample(std::span<const float> logits, SamplingScratch& scratch);

  // Steps 1 and 3-6: the normalised distribution the draw would use, in a deterministic
  // order (not necessarily most likely first). Greedy configurations give the one argmax.
  // The span points into `scratch` and lives until its next use.
  std::span<const Candidate> distribution(std::span<const float> logits, SamplingScratch& scratch);

  const SamplerConfig& config() const { return config_; }

 private:
  void push_to_window(TokenId token);
  std::span<float> penalised_logits(std::span<const float> logits, SamplingScratch& scratch) const;

  SamplerConfig config_;
  SeededRandom random_;
  std::vector<TokenId> window_;  // ring buffer of the last repeat_last_n context tokens
  size_t window_next_ = 0;
  std::vector<std::pair<TokenId, uint32_t>> generated_counts_;  // sorted by id
  SamplingScratch own_scratch_;
};

// The individual steps, exposed for tests and for callers composing their own samplers.
// Each works in place on `candidates` and returns the surviving prefix.
namespace sampling {

// Descending value, then ascending id: a total order, so every platform keeps the same set.
bool ranks_before(const Candidate& a, const Candidate& b);

// The k best, most likely first. keep_top_k selects in place; select_top_k reads the row
// directly and is faster when k is small next to the vocabulary.
std::span<Candidate> keep_top_k(std::span<Candidate> candidates, uint32_t k);
void select_top_k(std::span<const float> logits, uint32_t k, std::vector<Candidate>& out);
// Converts logits to probabilities (max-subtracted, summed in double) and drops the tokens
// whose probability is exactly 0 (masked with -inf), keeping the order of the rest.
std::span<Candidate> softmax(std::span<Candidate> candidates, float temperature);
// Expects probabilities. Keeps the smallest set of most likely tokens whose mass reaches p
// (ties at the boundary go to the lower id); the order of the survivors is deterministic.
std::span<Candidate> keep_top_p(std::span<Candidate> candidates, float p, TopPWorkspace& work);
std::span<Candidate> keep_min_p(std::span<Candidate> candidates, float min_p);
void normalize(std::span<Candidate> candidates);
// `u` in [0, 1); walks the candidates in their order.
TokenId draw(std::span<const Candidate> candidates, double u);
// The highest value's id, lowest id on ties; -1 when every value is -inf.
TokenId argmax(std::span<const float> values);

}  // namespace sampling

}  // namespace weft::runtime
