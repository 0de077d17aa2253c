// What the forward pass refuses, and that a refused batch leaves every sequence as it was.
#include "runtime/engine.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"
#include "support/softmax_reference.hpp"
#include "weft/error.hpp"

namespace weft::runtime {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = model::Model::load(test::shared_path("fixtures/qwen3/qwen3-q8_0.gguf").string(),
                                {.context_length = 40});
    EngineOptions options;
    options.threads = 2;
    options.page_tokens = 8;
    options.kv_pages = 5;
    engine_ = std::make_unique<Engine>(model_, options);
  }

  std::string forward_error(const std::vector<ForwardRow>& rows) {
    ForwardOutputs outputs;
    try {
      engine_->forward(rows, outputs);
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  }

  std::shared_ptr<const model::Model> model_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, RejectsBadRowsBeforeTouchingTheCache) {
  auto sequence = engine_->new_sequence();
  EXPECT_NE(
      forward_error({{&sequence, 512, 0, true}}).find("token id 512 is outside the vocabulary"),
      std::string::npos);
  EXPECT_NE(forward_error({{&sequence, 1, 1, true}})
                .find("position 1 does not continue its sequence (expected 0)"),
            std::string::npos);
  EXPECT_NE(
      forward_error({{&sequence, 1, 0, true}, {&sequence, 5, 2, true}}).find("row 1: position 2"),
      std::string::npos);
  EXPECT_NE(forward_error({{nullptr, 1, 0, true}}).find("no sequence"), std::string::npos);
  EXPECT_EQ(sequence.length(), 0);
  EXPECT_EQ(engine_->pages().pages_in_use(), 0);

  std::vector<ForwardRow> rows;
  for (int64_t i = 0; i < 41; ++i) rows.push_back({&sequence, 3, i, false});
  EXPECT_NE(forward_error(rows).find("position 40 is past the context length 40"),
            std::string::npos);
  EXPECT_EQ(sequence.length(), 0);
}

TEST_F(EngineTest, ReportsAnExhaustedPoolAndKeepsWorkingAfterwards) {
  auto first = engine_->new_sequence();
  auto second = engine_->new_sequence();
  std::vector<ForwardRow> rows;
  for (int64_t i = 0; i < 30; ++i) rows.push_back({&first, 3, i, false});  // 4 pages of 8
  ForwardOutputs outputs;
  engine_->forward(rows, outputs);
  EXPECT_TRUE(outputs.logits.empty());
  EXPECT_EQ(engine_->pages().pages_in_use(), 4);

  rows.clear();
  for (int64_t i = 0; i < 9; ++i) rows.push_back({&second, 3, i, true});  // needs 2 more pages
  EXPECT_NE(forward_error(rows).find("KV page pool exhausted"), std::string::npos);
  EXPECT_EQ(second.length(), 0);

  first.clear();
  second.clear();
  EXPECT_EQ(engine_->pages().pages_in_use(), 0);
  engine_->forward(rows, outputs);
  EXPECT_EQ(outputs.logit_rows.size(), 9u);
  EXPECT_EQ(second.length(), 9);
}

TEST_F(EngineTest, ReturnsHiddenStatesOnRequest) {
  auto sequence = engine_->new_sequence();
  const std::vector<ForwardRow> rows = {{&sequence, 1, 0, false, true},
                                        {&sequence, 9, 1, true, false}};
  ForwardOutputs outputs;
  engine_->forward(rows, outputs);
  EXPECT_EQ(outputs.hidden_rows, std::vector<int64_t>{0});
  EXPECT_EQ(outputs.hidden.size(), 256u);
  EXPECT_EQ(outputs.logit_rows, std::vector<int64_t>{1});
  EXPECT_EQ(outputs.logits_at(0).size(), 512u);
}

TEST_F(EngineTest, RejectsAProbedTokenOutsideTheVocabularyBeforeTouchingTheCache) {
  auto sequence = engine_->new_sequence();
  ProbeRequest probes;
  probes.token_ids = {3, 512};
  ForwardRow row{&sequence, 1, 0, false};
  row.probes = &probes;
  EXPECT_NE(forward_error({row}).find("row 0: probe token id 512 is outside the vocabulary"),
            std::string::npos);
  EXPECT_EQ(sequence.length(), 0);
  EXPECT_EQ(engine_->pages().pages_in_use(), 0);
}

// Probes requested per row in one pass over the llama fixture's prompt, against a double
// softmax of the fixture's float64 reference logits (the reference kernels with an F32 cache
// land within 1e-5 of them).
TEST(EngineProbes, AnswerEachRowsRequestFromItsLogits) {
  const auto base = test::shared_path("fixtures/llama");
  auto model = model::Model::load((base / "llama-f32.gguf").string());
  EngineOptions options;
  options.threads = 2;
  options.kernels = tensor::KernelChoice::reference;
  options.kv_type = tensor::ElementType::F32;
  Engine engine(model, options);
  const auto tokens = test::read_token_ids(base / "reference/llama-f32.tokens.txt");
  const auto exact = test::read_f32_file(base / "reference/llama-f32.exact.logits.f32");
  const size_t n_vocab = 512;

  ProbeRequest distribution;
  distribution.top_k = 5;
  distribution.entropy = true;
  ProbeRequest given_tokens;
  given_tokens.token_ids = {0, 261, 511};
  given_tokens.logits = true;

  auto sequence = engine.new_sequence();
  std::vector<ForwardRow> rows;
  for (size_t i = 0; i < tokens.size(); ++i)
    rows.push_back({&sequence, tokens[i], static_cast<int64_t>(i), false});
  rows[3].probes = &distribution;  // probes only
  rows[10].probes = &given_tokens;
  rows[10].want_logits = true;  // probes and logits
  rows[20].want_logits = true;  // logits only
  rows[31].probes = &distribution;
  ForwardOutputs outputs;
  engine.forward(rows, outputs);

  EXPECT_EQ(outputs.logit_rows, (std::vector<int64_t>{10, 20}));
  ASSERT_EQ(outputs.logits.size(), 2 * n_vocab);
  ASSERT_EQ(outputs.probe_rows, (std::vector<int64_t>{3, 10, 31}));
  ASSERT_EQ(outputs.probes.size(), 3u);
  const auto exact_row = [&](int64_t row) {
    return std::span<const float>(exact).subspan(static_cast<size_t>(row) * n_vocab, n_vocab);
  };
  EXPECT_LE(test::compare_logits(outputs.logits_at(1), exact_row(20)).max_abs, 1e-4);

  for (size_t p : {size_t{0}, size_t{2}}) {
    const auto row = exact_row(outputs.probe_rows[p]);
    const auto& result = outputs.probes[p];
    const auto expected_logprobs = test::reference_logprobs(row);
    const auto expected_ids = test::reference_top_ids(row, 5);
    ASSERT_EQ(result.top.size(), 5u);
    for (size_t k = 0; k < 5; ++k) {
      EXPECT_EQ(result.top[k].id, expected_ids[k]) << "probe " << p << " rank " << k;
      EXPECT_NEAR(result.top[k].logprob, expected_logprobs[static_cast<size_t>(expected_ids[k])],
                  1e-3);
    }
    ASSERT_TRUE(result.entropy.has_value());
    EXPECT_NEAR(*result.entropy, test::reference_entropy(row), 1e-3);
    EXPECT_TRUE(result.token_logprobs.empty());
    EXPECT_TRUE(result.logits.empty());
  }

  const auto& given = outputs.probes[1];
  const auto expected_logprobs = test::reference_logprobs(exact_row(10));
  ASSERT_EQ(given.token_logprobs.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NEAR(given.token_logprobs[i],
                expected_logprobs[static_cast<size_t>(given_tokens.token_ids[i])], 1e-3);
  }
  EXPECT_EQ(given.logits,
            std::vector<float>(outputs.logits_at(0).begin(), outputs.logits_at(0).end()));
  EXPECT_FALSE(given.entropy.has_value());
  EXPECT_TRUE(given.top.empty());

  // A pass without probes leaves none from the previous one.
  const ForwardRow next{&sequence, 7, static_cast<int64_t>(tokens.size()), true};
  engine.forward(std::span(&next, 1), outputs);
  EXPECT_TRUE(outputs.probe_rows.empty());
  EXPECT_TRUE(outputs.probes.empty());
}

}  // namespace
}  // namespace weft::runtime
