// A Q8_0 KV page pool: what a slot reads back is GGUF's Q8_0 quantisation of what was
// written (computed here from the spec, not by tensor/), and the pages are sized for
// 34-byte blocks of 32 values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "kv/page_pool.hpp"
#include "tensor/formats/half.hpp"
#include "weft/error.hpp"

namespace weft::kv {
namespace {

constexpr int64_t kBlock = 32;

PagePoolConfig q8_pool(int64_t kv_dim) {
  return {.n_layers = 2,
          .kv_dim = kv_dim,
          .page_tokens = 4,
          .type = tensor::ElementType::Q8_0,
          .max_pages = 2};
}

// The GGUF spec's Q8_0: per block of 32, d = max|x| / 127 stored as F16, q = round(x / d);
// a value reads back as q · d (with d as stored). Where x / d falls within a hair of a
// half-way point either neighbour is a correct rounding, so both are accepted.
void expect_q8_0_of(const std::vector<float>& written, const std::vector<float>& read) {
  ASSERT_EQ(written.size(), read.size());
  for (size_t start = 0; start < written.size(); start += kBlock) {
    double amax = 0;
    for (size_t i = start; i < start + kBlock; ++i)
      amax = std::max(amax, std::fabs(double{written[i]}));
    const double d = amax / 127.0;
    const double stored_d = tensor::fp16_to_fp32(tensor::fp32_to_fp16(static_cast<float>(d)));
    for (size_t i = start; i < start + kBlock; ++i) {
      const double ratio = d > 0 ? written[i] / d : 0.0;
      const double q = std::round(ratio);
      const bool near_half = std::fabs(std::fabs(ratio - std::trunc(ratio)) - 0.5) < 1e-4;
      const double expected = q * stored_d;
      const double other = (q + (ratio > q ? 1 : -1)) * stored_d;
      const bool matches = read[i] == static_cast<float>(expected) ||
                           (near_half && read[i] == static_cast<float>(other));
      EXPECT_TRUE(matches) << "value " << i << ": wrote " << written[i] << ", read " << read[i]
                           << ", expected " << expected;
      EXPECT_LE(std::fabs(q), 127.0);
    }
  }
}

TEST(KvQ8_0Pool, ReadsBackTheQ8_0QuantisationOfEachBlock) {
  constexpr int64_t kv_dim = 128;  // two heads of 64
  PagePool pool(q8_pool(kv_dim));
  const PageId page = pool.acquire();
  std::mt19937 rng(11);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  for (int64_t layer = 0; layer < 2; ++layer) {
    for (int64_t slot = 0; slot < 4; ++slot) {
      std::vector<float> key(kv_dim), value(kv_dim);
      for (auto& v : key) v = normal(rng);
      for (auto& v : value) v = normal(rng);
      value[5] = 0.0f;  // zeros and a block's extreme read back exactly
      if (slot == 0) std::fill(key.begin(), key.begin() + kBlock, 0.0f);  // d = 0
      pool.store(page, layer, slot, key.data(), value.data());
      std::vector<float> key_read(kv_dim), value_read(kv_dim);
      pool.load_key(page, layer, slot, 0, kv_dim, key_read.data());
      pool.load_value(page, layer, slot, 0, kv_dim, value_read.data());
      expect_q8_0_of(key, key_read);
      expect_q8_0_of(value, value_read);
      EXPECT_EQ(value_read[5], 0.0f);
      // One head on its own (what attention reads): the second half of the slot.
      std::vector<float> head(64);
      pool.load_value(page, layer, slot, 64, 64, head.data());
      EXPECT_EQ(head, std::vector<float>(value_read.begin() + 64, value_read.end()));
    }
  }
  pool.release(page);
}

TEST(KvQ8_0Pool, PagesHold34BytesPer32ValuesAndReadsStartAtBlocks) {
  PagePool q8(q8_pool(64));
  PagePoolConfig half_config = q8_pool(64);
  half_config.type = tensor::ElementType::F16;
  PagePool half(half_config);
  // 2 layers × (keys + values) × 4 slots × 2 blocks × 34 bytes.
  EXPECT_EQ(q8.page_bytes(), 2u * 2 * 4 * 2 * 34);
  EXPECT_EQ(half.page_bytes(), 2u * 2 * 4 * 64 * 2);
  const PageId page = q8.acquire();
  std::vector<float> out(32);
  EXPECT_THROW(q8.load_key(page, 0, 0, 16, 16, out.data()), Error);
  q8.release(page);
}

TEST(KvQ8_0Pool, RefusesASlotThatIsNotWholeBlocks) {
  try {
    PagePool pool(q8_pool(48));
    FAIL() << "a q8_0 pool of 48-value slots was made";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("multiple of 32"), std::string::npos) << error.what();
  }
}

}  // namespace
}  // namespace weft::kv
