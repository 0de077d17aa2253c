// Cost of sampling and probing one row of a 151,936-token vocabulary (Qwen2.5's size), per
// configuration. A warm sampler reuses its scratch, so these are per-token costs.
#include <benchmark/benchmark.h>

#include <random>

#include "runtime/probes.hpp"
#include "runtime/sampler.hpp"

namespace {

using weft::runtime::Sampler;
using weft::runtime::SamplerConfig;

constexpr size_t kVocabulary = 151936;

const std::vector<float>& logits_row() {
  static const std::vector<float> row = [] {
    std::mt19937_64 engine(1);
    std::normal_distribution<float> normal(0.0f, 3.0f);
    std::vector<float> values(kVocabulary);
    for (auto& value : values) value = normal(engine);
    return values;
  }();
  return row;
}

void run_sampler(benchmark::State& state, SamplerConfig config) {
  config.seed = 1;
  Sampler sampler(config);
  const auto& row = logits_row();
  for (auto _ : state) {
    auto token = sampler.sample(row);
    sampler.accept(token);
    benchmark::DoNotOptimize(token);
  }
  state.SetItemsProcessed(state.iterations());
}

SamplerConfig with(float temperature, uint32_t top_k, float top_p, float min_p) {
  SamplerConfig config;
  config.temperature = temperature;
  config.top_k = top_k;
  config.top_p = top_p;
  config.min_p = min_p;
  return config;
}

void BM_Greedy(benchmark::State& state) {
  run_sampler(state, with(0.0f, 0, 1.0f, 0.0f));
}
void BM_DefaultChain(benchmark::State& state) {
  run_sampler(state, SamplerConfig{});
}
void BM_TopPOnly(benchmark::State& state) {
  run_sampler(state, with(0.8f, 0, 0.95f, 0.0f));
}
void BM_MinPOnly(benchmark::State& state) {
  run_sampler(state, with(0.8f, 0, 1.0f, 0.05f));
}
void BM_FullSoftmax(benchmark::State& state) {
  run_sampler(state, with(1.0f, 0, 1.0f, 0.0f));
}
void BM_Penalties(benchmark::State& state) {
  auto config = SamplerConfig{};
  config.repeat_penalty = 1.1f;
  config.frequency_penalty = 0.5f;
  config.presence_penalty = 0.5f;
  run_sampler(state, config);
}

void BM_ProbeEntropy(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(weft::runtime::entropy(logits_row()));
}
void BM_ProbeTop20(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(weft::runtime::top_logprobs(logits_row(), 20));
}

BENCHMARK(BM_Greedy);
BENCHMARK(BM_DefaultChain);
BENCHMARK(BM_TopPOnly);
BENCHMARK(BM_MinPOnly);
BENCHMARK(BM_FullSoftmax);
BENCHMARK(BM_Penalties);
BENCHMARK(BM_ProbeEntropy);
BENCHMARK(BM_ProbeTop20);

}  // namespace

BENCHMARK_MAIN();
