// Scheduler overhead per step with a trivial model (the 2-layer, 256-wide llama fixture):
// N greedy streams generate through the scheduler, and the same rows go through
// engine.forward directly with an argmax per row. The difference per step is what the
// scheduler adds: batch assembly, sampling through the generator, events on the channels.
//
// Then the time to first token of a 240-token prompt submitted fresh and submitted again with
// its pages in the prefix cache (alternating, medians), to show what the cache saves and
// what its bookkeeping costs when the model itself is cheap.
//
// Direct and scheduled runs alternate, and each figure is the median of 5 rounds.
//
//   ./build/bench/scheduler_bench [streams…]   (default: 1 4 16)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "runtime/scheduler.hpp"

namespace {

using namespace weft;
using Clock = std::chrono::steady_clock;

constexpr uint32_t kTokens = 200;

runtime::EngineOptions engine_options() {
  runtime::EngineOptions options;
  options.threads = 1;
  options.kv_pages = 1024;
  return options;
}

// Seconds per step of N sequences decoding kTokens tokens by calling the engine directly.
double direct_step_seconds(std::shared_ptr<const model::Model> model, uint32_t streams) {
  runtime::Engine engine(model, engine_options());
  std::vector<kv::KvSequence> sequences;
  for (uint32_t i = 0; i < streams; ++i) sequences.push_back(engine.new_sequence());
  std::vector<int32_t> next(streams, 1);
  runtime::ForwardOutputs outputs;
  std::vector<runtime::ForwardRow> rows(streams);
  const auto start = Clock::now();
  for (uint32_t step = 0; step < kTokens; ++step) {
    for (uint32_t i = 0; i < streams; ++i) {
      rows[i] = {&sequences[i], next[i], sequences[i].length(), true, false};
    }
    engine.forward(rows, outputs);
    for (uint32_t i = 0; i < streams; ++i) next[i] = runtime::argmax_token(outputs.logits_at(i));
  }
  return std::chrono::duration<double>(Clock::now() - start).count() / kTokens;
}

// Seconds per model call of the scheduler running N streams of kTokens greedy tokens.
double scheduler_step_seconds(std::shared_ptr<const model::Model> model, uint32_t streams,
                              uint64_t& steps_out) {
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer =
      tokenizer::Tokenizer::from_gguf(model->file());
  std::vector<int32_t> end_tokens;
  for (int32_t id = 0; id < tokenizer->vocab_size(); ++id) {
    if (tokenizer->is_end_of_generation(id)) end_tokens.push_back(id);
  }
  runtime::SchedulerOptions options;
  options.max_sequences = streams;
  runtime::Scheduler scheduler(std::make_unique<runtime::Engine>(model, engine_options()),
                               tokenizer, options);
  scheduler.sync();
  const auto steps_before = scheduler.stats().steps;
  std::vector<GenerationStream> running;
  const auto start = Clock::now();
  for (uint32_t i = 0; i < streams; ++i) {
    runtime::SchedulerRequest request;
    request.prompt = {1};
    request.options.max_tokens = kTokens;
    request.options.temperature = 0.0f;
    request.suppressed_tokens = end_tokens;
    running.push_back(scheduler.submit(std::move(request)));
  }
  for (auto& stream : running) {
    while (stream.next()) {
    }
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  scheduler.sync();
  steps_out = scheduler.stats().steps - steps_before;
  return seconds / static_cast<double>(steps_out);
}

double median(std::vector<double> values) {
  std::ranges::sort(values);
  return values[values.size() / 2];
}

// Microseconds from submitting to the first token, for a fresh prompt and for the same prompt
// again (prefix cached), medians over `rounds` alternating pairs.
void first_token_with_prefix_cache(std::shared_ptr<const model::Model> model, uint32_t rounds) {
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer =
      tokenizer::Tokenizer::from_gguf(model->file());
  runtime::Scheduler scheduler(std::make_unique<runtime::Engine>(model, engine_options()),
                               tokenizer, {});
  const auto first_token_us = [&](const std::vector<int32_t>& prompt, uint32_t& cached) {
    runtime::SchedulerRequest request;
    request.prompt = prompt;
    request.options.max_tokens = 1;
    request.options.temperature = 0.0f;
    auto stream = scheduler.submit(std::move(request));
    while (auto event = stream.next()) {
      if (const auto* done = std::get_if<DoneEvent>(&*event)) {
        cached = done->usage.cached_prompt_tokens;
        return std::chrono::duration<double, std::micro>(done->timings.first_token).count();
      }
    }
    return 0.0;
  };
  constexpr size_t kPromptTokens = 240;
  std::vector<double> cold, warm;
  uint32_t reused = 0;
  for (uint32_t round = 0; round < rounds; ++round) {
    std::vector<int32_t> prompt(kPromptTokens);
    for (size_t i = 0; i < prompt.size(); ++i)
      prompt[i] = static_cast<int32_t>(3 + (i * 7 + round) % 500);
    uint32_t none = 0;
    cold.push_back(first_token_us(prompt, none));
    warm.push_back(first_token_us(prompt, reused));
  }
  std::printf(
      "\nfirst token of a %zu-token prompt, median of %u: fresh %.1f us, cached (%u tokens "
      "reused) %.1f us, ratio %.2f\n",
      kPromptTokens, rounds, median(cold), reused, median(warm), median(cold) / median(warm));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<uint32_t> stream_counts;
  for (int i = 1; i < argc; ++i) stream_counts.push_back(static_cast<uint32_t>(std::atoi(argv[i])));
  if (stream_counts.empty()) stream_counts = {1, 4, 16};
  auto model = model::Model::load(WEFT_SHARED_DIR "/fixtures/llama/llama-f32.gguf");
  direct_step_seconds(model, 1);  // warm-up
  std::printf("%8s %8s %14s %14s %14s\n", "streams", "steps", "direct us", "scheduler us",
              "overhead us");
  // The machine is shared and noisy: direct and scheduled runs alternate, medians of kRounds.
  constexpr int kRounds = 5;
  for (uint32_t streams : stream_counts) {
    std::vector<double> direct, scheduled;
    uint64_t steps = 0;
    for (int round = 0; round < kRounds; ++round) {
      direct.push_back(direct_step_seconds(model, streams));
      scheduled.push_back(scheduler_step_seconds(model, streams, steps));
    }
    const double direct_median = median(direct);
    const double scheduled_median = median(scheduled);
    std::printf("%8u %8llu %14.1f %14.1f %14.1f\n", streams, static_cast<unsigned long long>(steps),
                direct_median * 1e6, scheduled_median * 1e6,
                (scheduled_median - direct_median) * 1e6);
  }
  first_token_with_prefix_cache(model, 21);
  return 0;
}
