// The final normalised hidden states of a fixture's reference prompt, and what an
// independent float64 computation makes of them: logits (the output matrix read straight
// from the GGUF file) and means, to check the vectors that embeddings pool.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "support/reference_logits.hpp"
#include "tensor/kernels.hpp"

namespace weft::test {

struct HiddenRows {
  int64_t n_rows = 0;
  int64_t width = 0;
  std::vector<float> values;  // n_rows × width

  std::span<const float> row(int64_t index) const {
    return std::span<const float>(values).subspan(static_cast<size_t>(index * width),
                                                  static_cast<size_t>(width));
  }
};

// Every row of the fixture's "tokens.txt" prompt with only the hidden state asked for, in one
// engine pass (two threads, `kernels`, an F32 cache). Fails the test if any logits came back.
HiddenRows fixture_hidden_rows(const FixtureModel& fixture,
                               tensor::KernelChoice kernels = tensor::KernelChoice::reference);

// logits[r · n_vocab + t] = Σ_c output[t][c] · hidden[r][c], in double, then the file's
// `<arch>.final_logit_softcapping` (cap · tanh(x / cap)) where it has one. The output matrix
// is `output.weight`, else the tied `token_embd.weight`, read from the file itself: F32 rows
// as stored, other types through the formats layer's dequantize_row (checked against
// gguf-py's by the quant fixture tests), never through the engine's kernels.
std::vector<double> float64_logits(const std::filesystem::path& gguf, const HiddenRows& hidden);

// The mean of the rows [0, n_rows), per column, in double.
std::vector<double> float64_mean(const HiddenRows& hidden);

}  // namespace weft::test
