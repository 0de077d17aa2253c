// Contexts on a scheduler (runtime/shared_contexts.hpp): one model, one KV pool, one prefix
// cache and one stream of model calls for generations and contexts. Logits are checked
// against llama.cpp's references, batching by the scheduler's own call count, and admission
// by what waits and what is refused.
#include "runtime/shared_contexts.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "model/model.hpp"
#include "support/reference_logits.hpp"
#include "support/scheduler_streams.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

using runtime::Scheduler;

class SharedContexts : public ::testing::Test {
 protected:
  void start(int64_t kv_pages) {
    auto model = model::Model::load(test::shared_path("fixtures/llama/llama-f32.gguf").string(),
                                    {.context_length = 256});
    tokenizer_ = tokenizer::Tokenizer::from_gguf(model->file());
    runtime::EngineOptions engine_options;
    engine_options.threads = 2;
    engine_options.kernels = tensor::KernelChoice::reference;
    engine_options.kv_type = tensor::ElementType::F32;
    engine_options.kv_pages = kv_pages;
    scheduler_ = std::make_shared<Scheduler>(
        std::make_unique<runtime::Engine>(model, engine_options), tokenizer_);
    contexts_ = runtime::context_runtime_on(scheduler_);
  }

  void TearDown() override {
    contexts_.reset();
    if (!scheduler_) return;
    scheduler_->clear_prefix_cache();
    EXPECT_EQ(scheduler_->stats().pages_in_use, 0);
  }

  std::vector<int32_t> prompt() const {
    return test::read_token_ids(test::shared_path("fixtures/llama/reference/llama-f32.tokens.txt"));
  }
  std::vector<float> llama_cpp_logits() const {
    return test::read_f32_file(test::shared_path("fixtures/llama/reference/llama-f32.logits.f32"));
  }

  // Waits (bounded) until the scheduler has `count` context passes submitted.
  void await_submitted(size_t count) {
    for (int i = 0; i < 2000 && scheduler_->submitted_context_passes() < count; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(scheduler_->submitted_context_passes(), count);
  }

  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::shared_ptr<Scheduler> scheduler_;
  std::shared_ptr<ContextRuntime> contexts_;
};

TEST_F(SharedContexts, LogitsOfEveryRowMatchLlamaCpp) {
  start(64);
  const auto tokens = prompt();
  const auto reference = llama_cpp_logits();
  std::vector<int64_t> rows(tokens.size());
  for (size_t i = 0; i < rows.size(); ++i) rows[i] = static_cast<int64_t>(i);
  auto context = contexts_->create();
  const auto logits = context.append_with_logits(tokens, rows);
  ASSERT_EQ(logits.size(), tokens.size() * 512);
  for (size_t row = 0; row < tokens.size(); ++row) {
    const auto difference =
        test::compare_logits(std::span<const float>(logits).subspan(row * 512, 512),
                             std::span<const float>(reference).subspan(row * 512, 512));
    EXPECT_LT(difference.max_abs, 2e-3) << "row " << row;
  }
  auto branch = context.fork();
  const std::vector<int32_t> next = {5, 6};
  branch.append(next);
  auto fresh = contexts_->create();
  auto joined = tokens;
  joined.insert(joined.end(), next.begin(), next.end());
  fresh.append(joined);
  EXPECT_LT(test::compare_logits(branch.logits(), fresh.logits()).max_abs, 1e-5);
}

TEST_F(SharedContexts, AContextPassAndAGenerationShareOneModelCall) {
  start(64);
  const auto tokens = prompt();
  scheduler_->hold(true);
  auto stream = scheduler_->submit(test::greedy_request(tokens, 1));
  auto context = contexts_->create();
  const std::vector<int32_t> context_tokens(tokens.begin(), tokens.begin() + 10);
  auto append = std::async(std::launch::async, [&] { context.append(context_tokens); });
  await_submitted(1);
  scheduler_->hold(false);
  append.get();
  const auto collected = test::collect_ids(stream);
  EXPECT_EQ(collected.ids.size(), 1u);
  scheduler_->sync();
  const auto stats = scheduler_->stats();
  EXPECT_EQ(stats.steps, 1u);  // the prompt's prefill and the context's rows, together
  EXPECT_EQ(stats.rows, tokens.size() + context_tokens.size());
  EXPECT_EQ(contexts_->stats().forward_calls, 1);
}

TEST_F(SharedContexts, ContextPagesCountAtAdmission) {
  start(8);  // 8 pages of 16 tokens
  auto context = contexts_->create();
  const auto tokens = prompt();
  std::vector<int32_t> long_input;
  while (long_input.size() < 90) long_input.insert(long_input.end(), tokens.begin(), tokens.end());
  long_input.resize(90);  // 6 pages
  context.append(long_input);
  // Up to 32 + 31 = 63 tokens: 4 pages, but only 2 are not the context's.
  auto stream = scheduler_->submit(test::greedy_request(tokens, 31));
  scheduler_->sync();
  EXPECT_EQ(scheduler_->stats().live, 0u);
  EXPECT_EQ(scheduler_->stats().waiting, 1u);
  context.release();
  const auto collected = test::collect_ids(stream);
  EXPECT_TRUE(std::holds_alternative<DoneEvent>(collected.terminal));
}

TEST_F(SharedContexts, ContextsCannotTakePagesPromisedToRequests) {
  start(8);
  const auto tokens = prompt();
  scheduler_->hold(true);
  auto stream = scheduler_->submit(test::greedy_request(tokens, 64));  // 6 pages promised
  scheduler_->hold(false);
  scheduler_->sync();
  ASSERT_EQ(scheduler_->stats().live, 1u);
  auto context = contexts_->create();
  std::vector<int32_t> long_input(tokens.begin(), tokens.end());
  long_input.insert(long_input.end(), tokens.begin(), tokens.end());  // 64 tokens: 4 pages
  try {
    context.append(long_input);
    FAIL() << "the append took pages promised to the running request";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::queue_full) << error.what();
  }
  EXPECT_EQ(context.length(), 0);
  const auto collected = test::collect_ids(stream);
  EXPECT_TRUE(std::holds_alternative<DoneEvent>(collected.terminal));
}

TEST_F(SharedContexts, AContextAdoptsPagesAGenerationPublished) {
  start(64);
  const auto tokens = prompt();  // 32 tokens: two full pages
  auto stream = scheduler_->submit(test::greedy_request(tokens, 1));
  test::collect_ids(stream);
  scheduler_->sync();
  auto context = contexts_->create();
  context.append(tokens);
  // The first page is adopted (never the last token's page: its logits are computed).
  EXPECT_EQ(contexts_->stats().rows, 16);
  const auto reference = llama_cpp_logits();
  EXPECT_LT(test::compare_logits(context.logits(),
                                 std::span<const float>(reference).subspan(31 * 512, 512))
                .max_abs,
            2e-3);
}

}  // namespace
}  // namespace weft
