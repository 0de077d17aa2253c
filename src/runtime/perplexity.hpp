// Perplexity of a token stream, computed as llama.cpp's llama-perplexity computes it so that
// the figures of the two programs can be compared (docs/tools.md):
//
//  * the stream is cut into chunks of n_ctx tokens (a shorter tail is dropped);
//  * each chunk is evaluated from an empty cache, its first token replaced by BOS when the
//    vocabulary adds one;
//  * only the second half is scored: the logits of positions n_ctx/2 … n_ctx-2 predict the
//    tokens after them (n_ctx - 1 - n_ctx/2 tokens a chunk);
//  * PPL = exp(mean NLL); its error is PPL · sqrt((mean(NLL²) − mean(NLL)²)/(count − 1)).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include "runtime/engine.hpp"

namespace weft::runtime {

struct PerplexityOptions {
  int64_t context = 512;              // n_ctx: tokens a chunk
  int64_t batch = 2048;               // tokens a forward pass (a chunk takes ⌈n_ctx/batch⌉)
  std::optional<int64_t> max_chunks;  // at most this many chunks (all by default)
  std::optional<int32_t> bos;         // replaces each chunk's first token when set
};

struct PerplexityChunk {
  int64_t index = 0;       // 0-based
  double running_ppl = 0;  // exp(mean NLL) over every chunk so far
  double seconds = 0;      // wall time of this chunk's passes
};

struct PerplexityResult {
  int64_t chunks = 0;
  int64_t scored_tokens = 0;
  double ppl = 0;
  double error = 0;  // standard error of ppl (0 when it cannot be estimated)
  double mean_nll = 0;
};

// Needs at least 2·n_ctx tokens (as llama-perplexity): throws weft::Error otherwise, and for a
// context below 4, a batch below 1 or (as llama-perplexity requires) a batch that is neither
// below n_ctx nor a multiple of it. `on_chunk` is called after each chunk. The engine's page
// pool must hold max(1, batch/n_ctx) sequences of n_ctx tokens (they are evaluated together).
PerplexityResult compute_perplexity(Engine& engine, std::span<const int32_t> tokens,
                                    const PerplexityOptions& options,
                                    const std::function<void(const PerplexityChunk&)>& on_chunk);

// −log p(token) of one logits row, with llama-perplexity's arithmetic: the maximum and the
// differences in float, their exponentials summed in double.
double negative_log_likelihood(std::span<const float> logits, int32_t token);

}  // namespace weft::runtime
