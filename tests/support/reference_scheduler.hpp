// The set-up of the scheduler tests (runtime/scheduler_test.cpp,
// runtime/scheduler_speculation_test.cpp): a scheduler over an F32 fixture model with the
// reference kernels and an F32 cache, the configuration whose greedy continuations equal the
// float64 references (tests/model/fixture_exactness_test.cpp), and the page accounting every
// test ends with.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>

#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "runtime/scheduler.hpp"
#include "support/reference_logits.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::test {

class ReferenceSchedulerTest : public ::testing::Test {
 protected:
  // A scheduler started before is checked (expect_pages_returned) and replaced.
  void start(const FixtureModel& fixture, int64_t kv_pages,
             runtime::SchedulerOptions options = {}) {
    if (scheduler_) expect_pages_returned();
    fixture_ = fixture;
    auto model =
        model::Model::load(fixture.gguf.string(), {.context_length = fixture.context_length()});
    tokenizer_ = tokenizer::Tokenizer::from_gguf(model->file());
    runtime::EngineOptions engine_options;
    engine_options.threads = 2;
    engine_options.kernels = tensor::KernelChoice::reference;
    engine_options.kv_type = tensor::ElementType::F32;
    engine_options.kv_pages = kv_pages;
    page_tokens_ = engine_options.page_tokens;
    scheduler_ = std::make_unique<runtime::Scheduler>(
        std::make_unique<runtime::Engine>(model, engine_options), tokenizer_, options);
  }

  // start() with the F32 fixture of `arch` (a folder of the fixtures: llama, stories260K, …).
  void start_arch(const std::string& arch, int64_t kv_pages,
                  runtime::SchedulerOptions options = {}) {
    for (const auto& fixture : float32_fixture_models()) {
      if (fixture.arch == arch) return start(fixture, kv_pages, options);
    }
    FAIL() << "no " << arch << " F32 fixture";
  }

  void TearDown() override {
    if (scheduler_) expect_pages_returned();
  }

  // Once every request is done, the only pages in use are the prefix cache's (refused drafts
  // and cancelled requests left none behind); clearing it empties the pool.
  void expect_pages_returned() {
    scheduler_->sync();
    auto stats = scheduler_->stats();
    EXPECT_EQ(stats.pages_in_use, stats.pages_cached);
    EXPECT_EQ(stats.pages_committed, 0);
    EXPECT_EQ(stats.live, 0u);
    EXPECT_EQ(stats.waiting, 0u);
    scheduler_->clear_prefix_cache();
    stats = scheduler_->stats();
    EXPECT_EQ(stats.pages_in_use, 0);
    EXPECT_EQ(stats.pages_cached, 0);
  }

  int64_t pages_for(int64_t tokens) const { return (tokens + page_tokens_ - 1) / page_tokens_; }

  FixtureModel fixture_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<runtime::Scheduler> scheduler_;
  int64_t page_tokens_ = 16;
};

}  // namespace weft::test
