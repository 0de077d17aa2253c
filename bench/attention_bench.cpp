// The fast attention over a paged cache at depth: one decode row (or a 64-row prompt block)
// against every layer of a cache holding `depth` tokens, for the kv-head layouts of
// llama-3.2-1b (32 query heads on 8 kv heads) and qwen2.5-0.5b (14 on 2), head size 64, F16
// and Q8_0 caches, all 16 layers per iteration so the cache is read from memory as decoding
// reads it. The CPU level follows WEFT_CPU_LEVEL (avx2, or unset for everything the CPU has), so
// the two attention kernel sets can be compared on one machine:
//   build/bench/attention_bench --benchmark_filter=decode
//   WEFT_CPU_LEVEL=avx2 build/bench/attention_bench --benchmark_filter=decode
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "kv/page_pool.hpp"
#include "runtime/paged_attention.hpp"
#include "tensor/kernels.hpp"

namespace {

using weft::tensor::ElementType;

constexpr int64_t kLayers = 16, kDim = 64, kPageTokens = 16;

struct CacheAtDepth {
  weft::kv::PagePool pool;
  weft::kv::KvSequence sequence;

  CacheAtDepth(ElementType type, int64_t kv_heads, int64_t depth)
      : pool({.n_layers = kLayers,
              .kv_dim = kv_heads * kDim,
              .page_tokens = kPageTokens,
              .type = type,
              .max_pages = depth / kPageTokens + 1}),
        sequence(pool) {
    sequence.reserve(depth);
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> key(static_cast<size_t>(kv_heads * kDim)), value(key.size());
    for (int64_t slot = 0; slot < depth; ++slot) {
      for (int64_t layer = 0; layer < kLayers; ++layer) {
        for (auto& x : key) x = normal(rng);
        for (auto& x : value) x = normal(rng);
        pool.store(sequence.page_of(slot), layer, sequence.slot_in_page(slot), key.data(),
                   value.data());
      }
    }
  }
};

// state.range(0): depth; range(1): query rows (the last positions); range(2): threads.
void attention(benchmark::State& state, ElementType type, int64_t heads, int64_t kv_heads) {
  const int64_t depth = state.range(0), n_rows = state.range(1);
  CacheAtDepth cache(type, kv_heads, depth);
  std::vector<weft::runtime::AttentionRow> rows;
  for (int64_t r = 0; r < n_rows; ++r) rows.push_back({&cache.sequence, depth - n_rows + r});
  std::mt19937 rng(4);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> q(static_cast<size_t>(n_rows * heads * kDim));
  for (auto& x : q) x = normal(rng);
  std::vector<float> out(q.size());
  const weft::runtime::AttentionShape shape{heads, kv_heads, kDim, 0.125f, 0.0f, 0};
  weft::tensor::ThreadPool threads(static_cast<unsigned>(state.range(2)));
  const auto& fast = weft::tensor::kernels_for(weft::tensor::KernelChoice::fast);
  for (auto _ : state) {
    for (int64_t layer = 0; layer < kLayers; ++layer)
      weft::runtime::paged_attention(fast, threads, shape, layer, rows, q.data(), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["cache_MB"] =
      static_cast<double>(cache.pool.slot_bytes()) * 2 * kLayers * static_cast<double>(depth) / 1e6;
}

void register_all() {
  struct Model {
    const char* name;
    int64_t heads, kv_heads;
  };
  for (const Model& model : {Model{"l1b", 32, 8}, Model{"qwen05", 14, 2}}) {
    for (const auto& [cache_type, type_name] :
         {std::pair{ElementType::F16, "f16"}, std::pair{ElementType::Q8_0, "q8_0"}}) {
      const ElementType type = cache_type;  // a lambda may not capture a structured binding
      benchmark::RegisterBenchmark(
          (std::string("decode/") + model.name + "/" + type_name).c_str(),
          [=](benchmark::State& state) { attention(state, type, model.heads, model.kv_heads); })
          ->ArgNames({"depth", "rows", "threads"})
          ->Args({512, 1, 1})  // 16 layers of it fit in the caches: the arithmetic alone
          ->Args({4096, 1, 1})
          ->Args({4096, 1, 2})
          ->Args({16384, 1, 2})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
      benchmark::RegisterBenchmark(
          (std::string("prompt/") + model.name + "/" + type_name).c_str(),
          [=](benchmark::State& state) { attention(state, type, model.heads, model.kv_heads); })
          ->ArgNames({"depth", "rows", "threads"})
          ->Args({4096, 64, 2})
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
