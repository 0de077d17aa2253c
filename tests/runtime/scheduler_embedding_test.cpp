// Embeddings through the scheduler: pooled hidden states equal to float64 poolings of the rows
// that FixtureHiddenStates checks against the independent reference logits, computed beside
// a running generation in shared model calls, with their pages freed at once; and the errors.
#include <gtest/gtest.h>

#include <cmath>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "model/model.hpp"
#include "runtime/scheduler.hpp"
#include "support/hidden_states.hpp"
#include "support/reference_logits.hpp"
#include "support/scheduler_streams.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

using runtime::Pooling;
using runtime::Scheduler;
using runtime::SchedulerOptions;

// Float rounding of a float64 mean of 32 rows of values below ~4 in magnitude.
constexpr double kPoolingTolerance = 1e-6;

double max_abs_difference_in_floats(const std::vector<float>& actual,
                                    std::span<const float> expected) {
  EXPECT_EQ(actual.size(), expected.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(actual.size(), expected.size()); ++i) {
    worst = std::max(worst, std::abs(static_cast<double>(actual[i]) - expected[i]));
  }
  return worst;
}

double max_abs_difference_in_floats(const std::vector<float>& actual,
                                    const std::vector<double>& expected) {
  const std::vector<float> rounded(expected.begin(), expected.end());
  return max_abs_difference_in_floats(actual, std::span<const float>(rounded));
}

// The error a failed embedding's future holds.
Error embedding_error_of(std::future<std::vector<float>> future) {
  try {
    future.get();
  } catch (const Error& error) {
    return error;
  }
  ADD_FAILURE() << "the embedding did not fail";
  return Error(ErrorCode::internal, "");
}

class SchedulerEmbedding : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& fixture : test::float32_fixture_models()) {
      if (fixture.arch == "llama") fixture_ = fixture;
    }
    ASSERT_FALSE(fixture_.gguf.empty()) << "no llama F32 fixture";
    prompt_ = test::read_token_ids(fixture_.reference("tokens.txt"));
    ASSERT_EQ(prompt_.size(), 32u);
  }

  // Reference kernels and an F32 cache, as FixtureHiddenStates; small chunks and budget so
  // that inputs are cut into several calls and mixed with other requests' rows.
  void start(int64_t kv_pages = 0) {
    auto model =
        model::Model::load(fixture_.gguf.string(), {.context_length = fixture_.context_length()});
    tokenizer_ = tokenizer::Tokenizer::from_gguf(model->file());
    runtime::EngineOptions engine_options;
    engine_options.threads = 2;
    engine_options.kernels = tensor::KernelChoice::reference;
    engine_options.kv_type = tensor::ElementType::F32;
    engine_options.kv_pages = kv_pages;
    SchedulerOptions options;
    options.prefill_chunk = 5;
    options.max_batch_tokens = 8;
    scheduler_ = std::make_unique<Scheduler>(
        std::make_unique<runtime::Engine>(model, engine_options), tokenizer_, options);
  }

  void TearDown() override {
    if (!scheduler_) return;
    scheduler_->sync();
    auto stats = scheduler_->stats();
    EXPECT_EQ(stats.pages_committed, 0);
    EXPECT_EQ(stats.live, 0u);
    scheduler_->clear_prefix_cache();
    EXPECT_EQ(scheduler_->stats().pages_in_use, 0);
  }

  test::FixtureModel fixture_;
  std::vector<int32_t> prompt_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<Scheduler> scheduler_;
};

TEST_F(SchedulerEmbedding, PoolsTheCheckedHiddenRows) {
  const auto rows = test::fixture_hidden_rows(fixture_);
  start();
  auto mean = scheduler_->embed(prompt_, Pooling::mean).get();
  auto last = scheduler_->embed(prompt_, Pooling::last).get();
  auto cls = scheduler_->embed(prompt_, Pooling::cls).get();
  EXPECT_LE(max_abs_difference_in_floats(mean, test::float64_mean(rows)), kPoolingTolerance);
  EXPECT_LE(max_abs_difference_in_floats(last, rows.row(31)), kPoolingTolerance);
  EXPECT_LE(max_abs_difference_in_floats(cls, rows.row(0)), kPoolingTolerance);
  // The pages of a finished embedding are back in the pool, not in the prefix cache.
  scheduler_->sync();
  EXPECT_EQ(scheduler_->stats().pages_in_use, 0);
  EXPECT_EQ(scheduler_->stats().pages_cached, 0);
}

TEST_F(SchedulerEmbedding, RunsInTheSameModelCallsAsAGeneration) {
  const auto rows = test::fixture_hidden_rows(fixture_);
  const auto expected_greedy = test::read_token_ids(fixture_.reference("exact.greedy.txt"));
  start();
  scheduler_->hold(true);  // everything below arrives in one turn
  auto stream = scheduler_->submit(test::greedy_request(prompt_, 8));
  std::vector<std::future<std::vector<float>>> embeddings;
  for (int i = 0; i < 3; ++i) embeddings.push_back(scheduler_->embed(prompt_, Pooling::mean));
  const std::vector<int32_t> shorter(prompt_.begin(), prompt_.begin() + 7);
  auto short_last = scheduler_->embed(shorter, Pooling::last);
  scheduler_->hold(false);

  const auto generated = test::collect_ids(stream);
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(generated.terminal));
  EXPECT_EQ(generated.ids,
            std::vector<int32_t>(expected_greedy.begin(), expected_greedy.begin() + 8));
  const auto mean = test::float64_mean(rows);
  for (auto& embedding : embeddings) {
    EXPECT_LE(max_abs_difference_in_floats(embedding.get(), mean), kPoolingTolerance);
  }
  // With causal attention, row 6 of the shorter input is row 6 of the full prompt.
  EXPECT_LE(max_abs_difference_in_floats(short_last.get(), rows.row(6)), kPoolingTolerance);
  // Alone, each 32-token prompt takes 7 calls in chunks of 5, the 7-token one 2 and the 7
  // decodes 7: 37 calls. Sharing calls of 8 rows, they take fewer.
  scheduler_->sync();
  const auto stats = scheduler_->stats();
  EXPECT_EQ(stats.prompt_tokens_computed, 4u * 32u + 7u);
  EXPECT_LT(stats.steps, 37u);
}

TEST_F(SchedulerEmbedding, WaitsForRoomInThePoolLikeAPrompt) {
  const auto rows = test::fixture_hidden_rows(fixture_);
  start(2);  // 32 token slots
  scheduler_->hold(true);
  // 7 prompt + 20 tokens commit both pages; the 32-token embedding needs both too.
  auto stream = scheduler_->submit(
      test::greedy_request(std::vector<int32_t>(prompt_.begin(), prompt_.begin() + 7), 20));
  auto embedding = scheduler_->embed(prompt_, Pooling::mean);
  scheduler_->hold(false);
  const auto generated = test::collect_ids(stream);
  EXPECT_TRUE(std::holds_alternative<DoneEvent>(generated.terminal));
  EXPECT_LE(max_abs_difference_in_floats(embedding.get(), test::float64_mean(rows)),
            kPoolingTolerance);
  scheduler_->sync();
  EXPECT_EQ(scheduler_->stats().deferred, 1u);
}

TEST_F(SchedulerEmbedding, RejectsInputsItCannotRun) {
  start(1);  // a pool of one page: 16 token slots
  const auto empty = embedding_error_of(scheduler_->embed({}, Pooling::mean));
  EXPECT_EQ(empty.code(), ErrorCode::invalid_request);
  EXPECT_NE(std::string(empty.what()).find("at least one token"), std::string::npos);

  const auto outside = embedding_error_of(scheduler_->embed({1, 512}, Pooling::mean));
  EXPECT_EQ(outside.code(), ErrorCode::invalid_request);
  EXPECT_NE(std::string(outside.what()).find("token id 512 is outside the vocabulary"),
            std::string::npos);

  const std::vector<int32_t> too_long(257, 3);
  const auto past_context = embedding_error_of(scheduler_->embed(too_long, Pooling::mean));
  EXPECT_NE(
      std::string(past_context.what()).find("257 tokens, more than the context length of 256"),
      std::string::npos);

  const auto past_pool = embedding_error_of(scheduler_->embed(prompt_, Pooling::mean));
  EXPECT_EQ(past_pool.code(), ErrorCode::invalid_request);
  EXPECT_NE(std::string(past_pool.what()).find("holds only 1"), std::string::npos);

  // CLS reads the first row only, so it feeds the first token alone and fits.
  const auto rows = test::fixture_hidden_rows(fixture_);
  EXPECT_LE(
      max_abs_difference_in_floats(scheduler_->embed(prompt_, Pooling::cls).get(), rows.row(0)),
      kPoolingTolerance);
}

TEST_F(SchedulerEmbedding, AnEmbeddingStillWaitingWhenTheSchedulerStopsFails) {
  start();
  scheduler_->hold(true);
  auto pending = scheduler_->embed(prompt_, Pooling::mean);
  scheduler_.reset();
  const auto error = embedding_error_of(std::move(pending));
  EXPECT_EQ(error.code(), ErrorCode::backend_unavailable);
}

}  // namespace
}  // namespace weft
