#include "runtime/perplexity.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

#include "weft/error.hpp"

namespace weft::runtime {
namespace {

void check_options(const PerplexityOptions& options, size_t token_count) {
  const int64_t n_ctx = options.context;
  if (n_ctx < 4) throw Error("perplexity: the context must be at least 4 tokens");
  if (options.batch < 1) throw Error("perplexity: the batch must be at least 1 token");
  if (options.batch >= n_ctx && options.batch % n_ctx != 0) {
    throw Error("perplexity: the batch (" + std::to_string(options.batch) +
                ") must be below the context (" + std::to_string(n_ctx) + ") or a multiple of it");
  }
  if (options.max_chunks && *options.max_chunks < 1)
    throw Error("perplexity: --chunks must be at least 1");
  if (static_cast<int64_t>(token_count) < 2 * n_ctx) {
    throw Error("perplexity: the text has " + std::to_string(token_count) +
                " tokens; a context of " + std::to_string(n_ctx) + " needs at least " +
                std::to_string(2 * n_ctx));
  }
}

// The tokens of one chunk as evaluated: its first token is BOS when the vocabulary adds one.
std::vector<int32_t> chunk_tokens(std::span<const int32_t> tokens, int64_t chunk, int64_t n_ctx,
                                  std::optional<int32_t> bos) {
  const auto first = tokens.begin() + chunk * n_ctx;
  std::vector<int32_t> result(first, first + n_ctx);
  if (bos) result[0] = *bos;
  return result;
}

struct NllSums {
  double nll = 0;
  double nll2 = 0;
  int64_t count = 0;
};

// Scores the second half of one chunk from the logits of its rows n_ctx/2 … n_ctx-1 (in
// order), against the original tokens (a BOS replacement only feeds the model).
void score_chunk(std::span<const int32_t> original, const std::vector<float>& logits,
                 int64_t n_vocab, NllSums& sums) {
  const auto n_ctx = static_cast<int64_t>(original.size());
  const int64_t first = n_ctx / 2;
  for (int64_t position = first; position + 1 < n_ctx; ++position) {
    const std::span<const float> row(
        logits.data() + static_cast<size_t>((position - first) * n_vocab),
        static_cast<size_t>(n_vocab));
    const double value = negative_log_likelihood(row, original[static_cast<size_t>(position + 1)]);
    sums.nll += value;
    sums.nll2 += value * value;
    ++sums.count;
  }
}

// Evaluates `count` chunks starting at `first_chunk` together, each in its own fresh sequence,
// in passes of at most `batch` rows; returns the scored rows' logits of each chunk.
std::vector<std::vector<float>> evaluate_chunks(Engine& engine, std::span<const int32_t> tokens,
                                                int64_t first_chunk, int64_t count,
                                                const PerplexityOptions& options) {
  const int64_t n_ctx = options.context;
  const int64_t first = n_ctx / 2;
  std::vector<kv::KvSequence> sequences;
  std::vector<std::vector<int32_t>> inputs;
  for (int64_t c = 0; c < count; ++c) {
    sequences.push_back(engine.new_sequence());
    inputs.push_back(chunk_tokens(tokens, first_chunk + c, n_ctx, options.bos));
  }
  std::vector<std::vector<float>> logits(static_cast<size_t>(count));
  const int64_t slice = std::min(options.batch, n_ctx);
  ForwardOutputs outputs;
  for (int64_t start = 0; start < n_ctx; start += slice) {
    const int64_t end = std::min(n_ctx, start + slice);
    std::vector<ForwardRow> rows;
    for (int64_t c = 0; c < count; ++c) {
      for (int64_t position = start; position < end; ++position) {
        rows.push_back({&sequences[static_cast<size_t>(c)],
                        inputs[static_cast<size_t>(c)][static_cast<size_t>(position)], position,
                        position >= first, false});
      }
    }
    engine.forward(rows, outputs);
    // Rows went in chunk by chunk, so each chunk's logits come out together, in order.
    size_t output = 0;
    for (auto& chunk_logits : logits) {
      for (int64_t position = std::max(start, first); position < end; ++position) {
        const auto values = outputs.logits_at(output++);
        chunk_logits.insert(chunk_logits.end(), values.begin(), values.end());
      }
    }
  }
  return logits;
}

}  // namespace

double negative_log_likelihood(std::span<const float> logits, int32_t token) {
  if (token < 0 || static_cast<size_t>(token) >= logits.size())
    throw Error("perplexity: token id " + std::to_string(token) + " is outside the vocabulary");
  float max_logit = logits[0];
  for (float value : logits) max_logit = std::max(max_logit, value);
  double sum_exp = 0.0;
  for (float value : logits) sum_exp += std::exp(value - max_logit);
  const float shifted = logits[static_cast<size_t>(token)] - max_logit;
  return -(static_cast<double>(shifted) - std::log(sum_exp));
}

PerplexityResult compute_perplexity(Engine& engine, std::span<const int32_t> tokens,
                                    const PerplexityOptions& options,
                                    const std::function<void(const PerplexityChunk&)>& on_chunk) {
  check_options(options, tokens.size());
  const int64_t n_ctx = options.context;
  const int64_t available = static_cast<int64_t>(tokens.size()) / n_ctx;
  const int64_t n_chunks = std::min(available, options.max_chunks.value_or(available));
  const int64_t per_pass = std::max<int64_t>(1, options.batch / n_ctx);
  const int64_t n_vocab = engine.config().n_vocab;
  NllSums sums;
  for (int64_t chunk = 0; chunk < n_chunks; chunk += per_pass) {
    const int64_t count = std::min(per_pass, n_chunks - chunk);
    const auto started = std::chrono::steady_clock::now();
    const auto logits = evaluate_chunks(engine, tokens, chunk, count, options);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    for (int64_t c = 0; c < count; ++c) {
      score_chunk(
          tokens.subspan(static_cast<size_t>((chunk + c) * n_ctx), static_cast<size_t>(n_ctx)),
          logits[static_cast<size_t>(c)], n_vocab, sums);
      if (on_chunk) {
        on_chunk({chunk + c, std::exp(sums.nll / static_cast<double>(sums.count)),
                  seconds / static_cast<double>(count)});
      }
    }
  }
  PerplexityResult result;
  result.chunks = n_chunks;
  result.scored_tokens = sums.count;
  const auto count = static_cast<double>(sums.count);
  result.mean_nll = sums.nll / count;
  result.ppl = std::exp(result.mean_nll);
  const double variance = sums.nll2 / count - result.mean_nll * result.mean_nll;
  if (variance > 0 && sums.count > 1) result.error = std::sqrt(variance / (count - 1)) * result.ppl;
  return result;
}

}  // namespace weft::runtime
