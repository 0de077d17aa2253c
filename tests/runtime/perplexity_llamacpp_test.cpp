// weft's perplexity against llama-perplexity's figures for the same files and text
// (tests/data/perplexity/references.tsv, made by make_references.sh with the command in each
// row), and the arithmetic of one row's negative log-likelihood.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "runtime/perplexity.hpp"
#include "support/shared_files.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::runtime {
namespace {

const std::string kDataDir = std::string(WEFT_SOURCE_DIR) + "/tests/data/perplexity/";

struct Reference {
  std::string model;  // relative to ../shared
  int64_t context = 0;
  double ppl = 0;
  double error = 0;
  std::vector<double> running;  // llama-perplexity's [1]…[n], 4 decimals
};

std::vector<Reference> references() {
  std::ifstream in(kDataDir + "references.tsv");
  std::string line;
  std::getline(in, line);  // header
  std::vector<Reference> rows;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Reference row;
    std::string context, ppl, error, chunks;
    std::getline(fields, row.model, '\t');
    std::getline(fields, context, '\t');
    std::getline(fields, ppl, '\t');
    std::getline(fields, error, '\t');
    std::getline(fields, chunks, '\t');
    row.context = std::stoll(context);
    row.ppl = std::stod(ppl);
    row.error = std::stod(error);
    std::istringstream estimates(chunks);
    std::string estimate;
    while (std::getline(estimates, estimate, ',')) {
      row.running.push_back(std::stod(estimate.substr(estimate.find(']') + 1)));
    }
    rows.push_back(row);
  }
  return rows;
}

std::string text() {
  std::ifstream in(kDataDir + "stories.txt", std::ios::binary);
  std::string result((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!result.empty() && result.back() == '\n') result.pop_back();  // as llama-perplexity -f
  return result;
}

struct Measured {
  PerplexityResult result;
  std::vector<double> running;
};

Measured measure(const std::string& model_path, int64_t context, int64_t batch = 2048,
                 tensor::KernelChoice kernels = tensor::KernelChoice::fast) {
  auto model =
      model::Model::load(test::shared_path(model_path).string(), {.context_length = context});
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
  const auto tokens = tokenizer->encode(text(), {.add_bos = tokenizer->add_bos_by_default()});
  PerplexityOptions options;
  options.context = context;
  options.batch = batch;
  if (tokenizer->add_bos_by_default()) options.bos = tokenizer->bos();
  const int64_t per_pass = std::max<int64_t>(1, batch / context);
  Engine engine(model,
                {.threads = 2, .kernels = kernels, .kv_pages = per_pass * ((context + 15) / 16)});
  Measured measured;
  measured.result = compute_perplexity(engine, tokens, options, [&](const PerplexityChunk& chunk) {
    measured.running.push_back(chunk.running_ppl);
  });
  return measured;
}

bool is_f32_model(const Reference& row) {
  return row.model.find("-f32.gguf") != std::string::npos;
}

// "Equal to 4 significant digits": within one part in 10^4 (measured: at most 6.7e-5).
constexpr double kF32Tolerance = 1e-4;
// The running estimate after the first few chunks averages fewer tokens, so one token's
// difference weighs more: measured up to 2.3e-4 (stories260K, chunk 2: 4.5215 against
// llama.cpp's 4.5225). weft's reference kernels give the same 4.5214 as the fast ones
// (`weft perplexity … --kernels reference`), so the gap is on llama.cpp's side: with an F16
// cache its attention products round the queries and the weights to F16.
constexpr double kF32ChunkTolerance = 3e-4;
// Quantised weights: llama.cpp's CPU backend rounds the activations to 8 bits before each
// quantised product and weft's fast kernels round them differently; measured up to 0.25%
// (llama-q4_k_m), 0.045% with --kernels rounded-activations.
constexpr double kQuantisedTolerance = 5e-3;

TEST(PerplexityLlamaCpp, ReferencesAreThere) {
  const auto rows = references();
  ASSERT_GE(rows.size(), 12u);
  for (const auto& row : rows) EXPECT_FALSE(row.running.empty()) << row.model;
}

TEST(PerplexityLlamaCpp, F32ModelsAgreeToFourSignificantDigits) {
  for (const auto& row : references()) {
    if (!is_f32_model(row)) continue;
    SCOPED_TRACE(row.model + " ctx " + std::to_string(row.context));
    const auto measured = measure(row.model, row.context);
    EXPECT_NEAR(measured.result.ppl, row.ppl, kF32Tolerance * row.ppl);
    EXPECT_NEAR(measured.result.error, row.error, 1e-3 * row.error);
    ASSERT_EQ(measured.running.size(), row.running.size());
    for (size_t i = 0; i < row.running.size(); ++i) {
      EXPECT_NEAR(measured.running[i], row.running[i], kF32ChunkTolerance * row.running[i] + 5e-5)
          << "chunk " << i + 1;
    }
  }
}

TEST(PerplexityLlamaCpp, QuantisedModelsAreClose) {
  for (const auto& row : references()) {
    if (is_f32_model(row)) continue;
    SCOPED_TRACE(row.model);
    const auto measured = measure(row.model, row.context);
    EXPECT_NEAR(measured.result.ppl, row.ppl, kQuantisedTolerance * row.ppl);
    EXPECT_EQ(measured.running.size(), row.running.size());
  }
}

TEST(PerplexityLlamaCpp, SplitPassesAndSharedPassesGiveTheSameFigure) {
  const std::string model = "models/stories260K/stories260K-f32.gguf";
  const auto whole = measure(model, 128, 128);
  const auto halves = measure(model, 128, 32);
  const auto together = measure(model, 128, 512);
  EXPECT_NEAR(halves.result.ppl, whole.result.ppl, 1e-5 * whole.result.ppl);
  EXPECT_NEAR(together.result.ppl, whole.result.ppl, 1e-5 * whole.result.ppl);
  EXPECT_EQ(whole.result.chunks, 20);
  EXPECT_EQ(whole.result.scored_tokens, 20 * 63);  // 128 - 1 - 64 a chunk
}

TEST(PerplexityLlamaCpp, NegativeLogLikelihoodIsMinusLogSoftmax) {
  const std::vector<float> logits = {1.5f, -2.0f, 0.25f, 3.0f, 3.0f};
  long double sum = 0;
  for (float value : logits) sum += std::exp(static_cast<long double>(value));
  for (int32_t token = 0; token < 5; ++token) {
    const long double expected = std::log(sum) - logits[static_cast<size_t>(token)];
    EXPECT_NEAR(negative_log_likelihood(logits, token), static_cast<double>(expected), 1e-6);
  }
  EXPECT_THROW(negative_log_likelihood(logits, 5), Error);
}

TEST(PerplexityLlamaCpp, RefusesTooFewTokensAndABadBatch) {
  auto model =
      model::Model::load(test::shared_path("models/stories260K/stories260K-f32.gguf").string(),
                         {.context_length = 128});
  Engine engine(model, {.threads = 1});
  const std::vector<int32_t> tokens(255, 1);
  PerplexityOptions options;
  options.context = 128;
  EXPECT_THROW(compute_perplexity(engine, tokens, options, {}), Error);  // needs 256
  const std::vector<int32_t> enough(256, 1);
  options.batch = 200;  // above the context and not a multiple of it
  EXPECT_THROW(compute_perplexity(engine, enough, options, {}), Error);
}

}  // namespace
}  // namespace weft::runtime
