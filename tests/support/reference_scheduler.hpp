// The set-up of the scheduler tests (runtime/scheduler_test.cpp,
// runtime/scheduler_speculation_test.cpp, runtime/scheduler_draft_model_test.cpp): a scheduler
// over an F32 fixture model with the reference kernels and an F32 cache (and a draft engine
// where a test gives one), the configuration whose greedy continuations equal the float64
// references (tests/model/fixture_exactness_test.cpp), the page accounting every test ends
// with, and the requests and results the speculation tests compare.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "runtime/scheduler.hpp"
#include "support/reference_logits.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::test {

// A generation's tokens, text and terminal event.
struct Collected {
  std::vector<int32_t> ids;
  std::string text;
  Event terminal = DoneEvent{};
};

inline Collected read_to_end(GenerationStream& stream) {
  Collected out;
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      if (token->token_id) out.ids.push_back(*token->token_id);
      out.text += token->text;
    } else {
      out.terminal = *event;
    }
  }
  return out;
}

inline StopReason stop_of(const Collected& result) {
  const auto* done = std::get_if<DoneEvent>(&result.terminal);
  EXPECT_NE(done, nullptr) << "the request failed";
  return done ? done->reason : StopReason::error;
}

inline runtime::SchedulerRequest request_for(std::vector<int32_t> prompt, uint32_t max_tokens,
                                             float temperature = 0.0f) {
  runtime::SchedulerRequest request;
  request.prompt = std::move(prompt);
  request.options.max_tokens = max_tokens;
  request.options.temperature = temperature;
  return request;
}

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
        std::make_unique<runtime::Engine>(model, engine_options), tokenizer_, options,
        draft_engine_for(engine_options));
  }

  // The engine the scheduler drafts with (SchedulerRequest::speculation's draft_model), made
  // after the target's tokenizer; none unless a test overrides it.
  virtual std::unique_ptr<runtime::Engine> draft_engine_for(const runtime::EngineOptions&) {
    return nullptr;
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
    EXPECT_EQ(stats.draft_pages_in_use, 0);
    scheduler_->clear_prefix_cache();
    stats = scheduler_->stats();
    EXPECT_EQ(stats.pages_in_use, 0);
    EXPECT_EQ(stats.pages_cached, 0);
  }

  int64_t pages_for(int64_t tokens) const { return (tokens + page_tokens_ - 1) / page_tokens_; }

  // All submitted in one turn (so they share model calls from the start), read to the end;
  // every prompt computed (the prefix cache emptied first). `steps`: the model calls taken.
  std::vector<Collected> run_together(const std::vector<runtime::SchedulerRequest>& requests,
                                      uint64_t* steps = nullptr) {
    scheduler_->clear_prefix_cache();
    const auto before = scheduler_->stats().steps;
    scheduler_->hold(true);
    std::vector<GenerationStream> streams;
    for (const auto& request : requests) streams.push_back(scheduler_->submit(request));
    scheduler_->hold(false);
    std::vector<Collected> results;
    for (auto& stream : streams) results.push_back(read_to_end(stream));
    scheduler_->sync();
    if (steps) *steps = scheduler_->stats().steps - before;
    return results;
  }

  FixtureModel fixture_;
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<runtime::Scheduler> scheduler_;
  int64_t page_tokens_ = 16;
};

}  // namespace weft::test
