// Fork and snapshot cost against context length, on a KV pool shaped like Qwen2.5-0.5B's
// (24 layers, 2 KV heads × 64, F16, 16-token pages: 192 KiB a page). Fork shares every full
// page and copies only the partly filled last one, so its time should stay flat while the
// length grows 256×; "deep copy" copies every page and grows with the length, for scale.
//
// The pages are filled by bookkeeping only (no forward pass): fork's cost does not depend
// on what the slots hold, and this keeps 32k-token contexts cheap to set up.
//
// prefix_match_and_adopt is what admitting a request whose whole prompt is cached costs:
// O(tokens) hashing plus one reference per page, no KV bytes touched.
#include <benchmark/benchmark.h>

#include <numeric>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "kv/page_pool.hpp"
#include "kv/prefix_index.hpp"
#include "kv/snapshot_store.hpp"

namespace {

using weft::kv::KvSequence;
using weft::kv::PagePool;

constexpr int64_t kPageTokens = 16;

PagePool make_pool(int64_t tokens) {
  return PagePool({.n_layers = 24,
                   .kv_dim = 128,
                   .page_tokens = kPageTokens,
                   .type = weft::tensor::ElementType::F16,
                   .max_pages = 2 * (tokens / kPageTokens + 2)});
}

// A context of `tokens` tokens whose last page is partly filled (7 slots).
KvSequence filled_sequence(PagePool& pool, int64_t tokens) {
  KvSequence sequence(pool);
  sequence.reserve(tokens);
  sequence.set_length(tokens);
  return sequence;
}

void fork_and_release(benchmark::State& state) {
  const int64_t tokens = state.range(0) + 7;
  auto pool = make_pool(tokens);
  auto sequence = filled_sequence(pool, tokens);
  for (auto _ : state) {
    auto forked = sequence.fork();
    benchmark::DoNotOptimize(forked.pages().data());
  }
  state.counters["pages"] = static_cast<double>(sequence.pages().size());
}

void snapshot_open_remove(benchmark::State& state) {
  const int64_t tokens = state.range(0) + 7;
  auto pool = make_pool(tokens);
  auto sequence = filled_sequence(pool, tokens);
  weft::kv::SnapshotStore store(pool);
  for (auto _ : state) {
    store.save("s", sequence);
    auto opened = store.open("s");
    benchmark::DoNotOptimize(opened.pages().data());
    store.remove("s");
  }
}

// What admitting a request with a cached prompt costs the scheduler: hashing the prompt's
// pages to find the cached run, and adopting it (one reference per page), then releasing.
void prefix_match_and_adopt(benchmark::State& state) {
  const int64_t tokens = state.range(0) + 7;
  auto pool = make_pool(tokens);
  auto sequence = filled_sequence(pool, tokens);
  std::vector<int32_t> prompt(static_cast<size_t>(tokens));
  std::iota(prompt.begin(), prompt.end(), 0);
  weft::kv::PrefixIndex index(pool);
  index.publish(sequence, prompt);
  for (auto _ : state) {
    KvSequence adopted(pool);
    const int64_t length = index.adopt_prefix(adopted, prompt);
    benchmark::DoNotOptimize(length);
  }
  state.counters["pages"] = static_cast<double>(index.cached_pages());
}

void deep_copy(benchmark::State& state) {
  const int64_t tokens = state.range(0) + 7;
  auto pool = make_pool(tokens);
  auto sequence = filled_sequence(pool, tokens);
  for (auto _ : state) {
    KvSequence copy(pool);
    copy.reserve(tokens);
    for (size_t page = 0; page < sequence.pages().size(); ++page) {
      pool.copy_slots(sequence.pages()[page], copy.pages()[page], kPageTokens);
    }
    benchmark::DoNotOptimize(copy.pages().data());
  }
}

}  // namespace

BENCHMARK(fork_and_release)->RangeMultiplier(4)->Range(128, 32768);
BENCHMARK(snapshot_open_remove)->RangeMultiplier(4)->Range(128, 32768);
BENCHMARK(prefix_match_and_adopt)->RangeMultiplier(4)->Range(128, 32768);
BENCHMARK(deep_copy)->RangeMultiplier(4)->Range(128, 32768);

BENCHMARK_MAIN();
