// A two-layer paged KV cache holding random keys and values, for the attention tests
// (runtime/fast_attention_test.cpp, runtime/long_attention_test.cpp): layer 1 holds normal(0, 1)
// keys and values, layer 0 a value no attention over layer 1 may read (50); and what the
// cache types hold for a value, by the formats' definitions rather than tensor/'s code.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "kv/page_pool.hpp"
#include "support/pool_accounting.hpp"
#include "tensor/formats/half.hpp"

namespace weft::test {

// What a Q8_0 cache holds for `x`, by GGML's reference quantiser: per block of 32,
// d = max|x| / 127, q = round(x · (1/d)), read back as q · d with d stored as F16. `scales`,
// when given, receives each value's d (unrounded), which bounds its rounding.
inline std::vector<float> reference_q8_0_values(const std::vector<float>& x,
                                                std::vector<float>* scales = nullptr) {
  std::vector<float> stored(x.size());
  if (scales != nullptr) scales->resize(x.size());
  for (size_t start = 0; start < x.size(); start += 32) {
    float amax = 0.0f;
    for (size_t i = start; i < start + 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    const float stored_d = tensor::fp16_to_fp32(tensor::fp32_to_fp16(d));
    for (size_t i = start; i < start + 32; ++i) {
      stored[i] = std::round(x[i] * inverse) * stored_d;
      if (scales != nullptr) (*scales)[i] = d;
    }
  }
  return stored;
}

// What an F16 cache holds for `x`.
inline std::vector<float> f16_values(const std::vector<float>& x) {
  std::vector<float> stored(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    stored[i] = tensor::fp16_to_fp32(tensor::fp32_to_fp16(x[i]));
  return stored;
}

struct RandomKvCache {
  kv::PagePool pool;
  std::vector<kv::KvSequence> sequences;
  // Per sequence: slots × kv_dim, as computed (before the cache type rounds them).
  std::vector<std::vector<float>> keys, values;

  // One sequence of each length; each sequence's keys, then its values, drawn from one
  // generator seeded with `seed`.
  RandomKvCache(tensor::ElementType type, int64_t kv_dim, int64_t page_tokens, int64_t max_pages,
                uint32_t seed, const std::vector<int64_t>& lengths)
      : pool({.n_layers = 2,
              .kv_dim = kv_dim,
              .page_tokens = page_tokens,
              .type = type,
              .max_pages = max_pages}) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    sequences.reserve(lengths.size());
    for (int64_t length : lengths) {
      kv::KvSequence& sequence = sequences.emplace_back(pool);
      sequence.reserve(length);
      std::vector<float> k(static_cast<size_t>(length * kv_dim));
      std::vector<float> v(k.size());
      for (auto& x : k) x = normal(rng);
      for (auto& x : v) x = normal(rng);
      const std::vector<float> other_layer(static_cast<size_t>(kv_dim), 50.0f);
      for (int64_t slot = 0; slot < length; ++slot) {
        const auto page = sequence.page_of(slot);
        const int64_t in_page = sequence.slot_in_page(slot);
        pool.store(page, 0, in_page, other_layer.data(), other_layer.data());
        pool.store(page, 1, in_page, k.data() + slot * kv_dim, v.data() + slot * kv_dim);
      }
      sequence.set_length(length);
      keys.push_back(std::move(k));
      values.push_back(std::move(v));
    }
  }
  RandomKvCache(const RandomKvCache&) = delete;
  RandomKvCache& operator=(const RandomKvCache&) = delete;
  // Attention only reads the cache: once the sequences let go, every page is back.
  ~RandomKvCache() {
    for (auto& sequence : sequences) sequence.release();
    expect_pool_idle(pool);
  }
};

}  // namespace weft::test
