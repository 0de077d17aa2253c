// Attention over paged keys and values against a direct double-precision computation:
// grouped-query heads, soft-capping, a sliding window and sequences spanning several pages.
#include "runtime/paged_attention.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "support/pool_accounting.hpp"

namespace weft::runtime {
namespace {

constexpr int64_t kPagedHeads = 4, kPagedKvHeads = 2, kPagedDim = 8,
                  kPagedKvDim = kPagedKvHeads * kPagedDim;

struct Cache {
  std::vector<float> keys, values;  // slots × kPagedKvDim
};

// What attention means, written out: softmax over visible slots of capped scaled scores.
std::vector<double> expected_paged_attention(const Cache& cache, const float* q, int64_t position,
                                             const AttentionShape& shape) {
  std::vector<double> out(kPagedHeads * kPagedDim, 0.0);
  for (int64_t h = 0; h < kPagedHeads; ++h) {
    const int64_t kv = h / (kPagedHeads / kPagedKvHeads);
    std::vector<double> scores;
    std::vector<int64_t> slots;
    for (int64_t j = 0; j <= position; ++j) {
      if (shape.window > 0 && position - j >= shape.window) continue;
      double s = 0;
      for (int64_t d = 0; d < kPagedDim; ++d)
        s += static_cast<double>(q[h * kPagedDim + d]) *
             cache.keys[j * kPagedKvDim + kv * kPagedDim + d];
      s *= shape.scale;
      if (shape.softcap > 0) s = shape.softcap * std::tanh(s / shape.softcap);
      scores.push_back(s);
      slots.push_back(j);
    }
    double max = scores[0];
    for (double s : scores) max = std::max(max, s);
    double sum = 0;
    for (double& s : scores) sum += (s = std::exp(s - max));
    for (size_t i = 0; i < scores.size(); ++i) {
      for (int64_t d = 0; d < kPagedDim; ++d) {
        out[h * kPagedDim + d] +=
            scores[i] / sum * cache.values[slots[i] * kPagedKvDim + kv * kPagedDim + d];
      }
    }
  }
  return out;
}

TEST(PagedAttention, MatchesTheDirectComputation) {
  kv::PagePool pool({.n_layers = 2,
                     .kv_dim = kPagedKvDim,
                     .page_tokens = 4,
                     .type = tensor::ElementType::F32,
                     .max_pages = 16});
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  const int64_t lengths[2] = {11, 5};
  kv::KvSequence sequences[2] = {kv::KvSequence(pool), kv::KvSequence(pool)};
  Cache caches[2];
  for (int s = 0; s < 2; ++s) {
    sequences[s].reserve(lengths[s]);
    caches[s].keys.resize(static_cast<size_t>(lengths[s] * kPagedKvDim));
    caches[s].values.resize(caches[s].keys.size());
    for (auto& v : caches[s].keys) v = normal(rng);
    for (auto& v : caches[s].values) v = normal(rng);
    for (int64_t slot = 0; slot < lengths[s]; ++slot) {
      // Layer 1 holds the data; layer 0 holds other values that must not be read.
      std::vector<float> junk(kPagedKvDim, 100.0f);
      pool.store(sequences[s].page_of(slot), 0, sequences[s].slot_in_page(slot), junk.data(),
                 junk.data());
      pool.store(sequences[s].page_of(slot), 1, sequences[s].slot_in_page(slot),
                 caches[s].keys.data() + slot * kPagedKvDim,
                 caches[s].values.data() + slot * kPagedKvDim);
    }
    sequences[s].set_length(lengths[s]);
  }
  const std::vector<AttentionRow> rows = {
      {&sequences[0], 10}, {&sequences[1], 4}, {&sequences[0], 6}};
  std::vector<float> q(rows.size() * kPagedHeads * kPagedDim);
  for (auto& v : q) v = normal(rng);

  tensor::ThreadPool threads(2);
  for (const AttentionShape shape :
       {AttentionShape{kPagedHeads, kPagedKvHeads, kPagedDim, 0.35f, 0.0f, 0},
        AttentionShape{kPagedHeads, kPagedKvHeads, kPagedDim, 0.35f, 3.0f, 0},
        AttentionShape{kPagedHeads, kPagedKvHeads, kPagedDim, 0.35f, 0.0f, 3}}) {
    std::vector<float> out(q.size(), NAN);
    paged_attention(tensor::reference_kernels(), threads, shape, 1, rows, q.data(), out.data());
    for (size_t r = 0; r < rows.size(); ++r) {
      const int s = rows[r].sequence == &sequences[0] ? 0 : 1;
      const auto expected = expected_paged_attention(
          caches[s], q.data() + r * kPagedHeads * kPagedDim, rows[r].position, shape);
      for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_NEAR(out[r * kPagedHeads * kPagedDim + i], expected[i], 1e-5)
            << "row " << r << " softcap " << shape.softcap << " window " << shape.window;
      }
    }
  }
  for (auto& sequence : sequences) sequence.release();
  test::expect_pool_idle(pool);
}

}  // namespace
}  // namespace weft::runtime
