#include "kv/page_pool.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kv/kv_sequence.hpp"
#include "support/pool_accounting.hpp"
#include "tensor/formats/half.hpp"
#include "weft/error.hpp"

namespace weft::kv {
namespace {

PagePoolConfig small_pool(tensor::ElementType type = tensor::ElementType::F32, int64_t pages = 4) {
  return {.n_layers = 2, .kv_dim = 6, .page_tokens = 4, .type = type, .max_pages = pages};
}

TEST(PagePool, CountsPagesInUseAndRefusesWhenFull) {
  PagePool pool(small_pool());
  EXPECT_EQ(pool.pages_in_use(), 0);
  std::vector<PageId> pages;
  for (int i = 0; i < 4; ++i) pages.push_back(pool.acquire());
  EXPECT_EQ(pool.pages_in_use(), 4);
  try {
    pool.acquire();
    FAIL() << "a full pool handed out a page";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::queue_full);
    EXPECT_NE(std::string(error.what()).find("exhausted"), std::string::npos);
  }
  pool.retain(pages[1]);
  EXPECT_EQ(pool.ref_count(pages[1]), 2u);
  pool.release(pages[1]);
  EXPECT_EQ(pool.pages_in_use(), 4);  // still held once
  for (PageId page : pages) pool.release(page);
  EXPECT_EQ(pool.pages_in_use(), 0);
  EXPECT_THROW(pool.release(pages[0]), Error);  // not in use any more
}

TEST(PagePool, StoresAndLoadsSlotsPerLayer) {
  for (auto type : {tensor::ElementType::F32, tensor::ElementType::F16}) {
    PagePool pool(small_pool(type));
    const PageId page = pool.acquire();
    std::mt19937 rng(3);
    std::normal_distribution<float> normal;
    std::vector<float> keys(2 * 4 * 6), values(2 * 4 * 6);
    for (auto& v : keys) v = normal(rng);
    for (auto& v : values) v = normal(rng);
    for (int layer = 0; layer < 2; ++layer) {
      for (int slot = 0; slot < 4; ++slot) {
        const size_t at = static_cast<size_t>((layer * 4 + slot) * 6);
        pool.store(page, layer, slot, keys.data() + at, values.data() + at);
      }
    }
    for (int layer = 0; layer < 2; ++layer) {
      for (int slot = 0; slot < 4; ++slot) {
        const size_t at = static_cast<size_t>((layer * 4 + slot) * 6);
        std::vector<float> key(3), value(3);
        pool.load_key(page, layer, slot, 2, 3, key.data());
        pool.load_value(page, layer, slot, 2, 3, value.data());
        for (size_t i = 0; i < 3; ++i) {
          const float k = keys[at + 2 + i];
          const float v = values[at + 2 + i];
          const bool half = type == tensor::ElementType::F16;
          EXPECT_EQ(key[i], half ? tensor::fp16_to_fp32(tensor::fp32_to_fp16(k)) : k);
          EXPECT_EQ(value[i], half ? tensor::fp16_to_fp32(tensor::fp32_to_fp16(v)) : v);
        }
      }
    }
    pool.release(page);
    test::expect_pool_idle(pool);
  }
}

// Pages are laid out layer-major in multi-page slabs: every (page, layer, slot, key/value)
// must still be its own memory, across slabs too, and one layer's keys of a slab's
// consecutive pages one run (what lets attention over a long sequence stream them).
TEST(PagePool, EverySlotOfEveryPageAndLayerIsItsOwnAcrossSlabs) {
  // 4 MiB pages (kv_dim 4096 F32, 64 slots, 2 layers): two to a slab, three slabs.
  const PagePoolConfig config{.n_layers = 2,
                              .kv_dim = 4096,
                              .page_tokens = 64,
                              .type = tensor::ElementType::F32,
                              .max_pages = 6};
  PagePool pool(config);
  std::vector<PageId> pages;
  for (int i = 0; i < 6; ++i) pages.push_back(pool.acquire());
  const auto mark = [](PageId page, int64_t layer, int64_t slot, bool value) {
    return static_cast<float>(((page * 2 + layer) * 64 + slot) * 2 + (value ? 1 : 0));
  };
  std::vector<float> key(4096), value(4096);
  for (PageId page : pages) {
    for (int64_t layer = 0; layer < 2; ++layer) {
      for (int64_t slot = 0; slot < 64; ++slot) {
        std::fill(key.begin(), key.end(), mark(page, layer, slot, false));
        std::fill(value.begin(), value.end(), mark(page, layer, slot, true));
        pool.store(page, layer, slot, key.data(), value.data());
      }
    }
  }
  for (PageId page : pages) {
    for (int64_t layer = 0; layer < 2; ++layer) {
      for (int64_t slot = 0; slot < 64; ++slot) {
        pool.load_key(page, layer, slot, 0, 4096, key.data());
        pool.load_value(page, layer, slot, 0, 4096, value.data());
        for (size_t i : {size_t{0}, size_t{4095}}) {
          ASSERT_EQ(key[i], mark(page, layer, slot, false)) << page << " " << layer << " " << slot;
          ASSERT_EQ(value[i], mark(page, layer, slot, true)) << page << " " << layer << " " << slot;
        }
      }
    }
  }
  const uint64_t run = pool.slot_bytes() * 64;
  for (int64_t layer = 0; layer < 2; ++layer) {
    EXPECT_EQ(pool.stored_key(pages[0], layer, 0) + run, pool.stored_key(pages[1], layer, 0));
    EXPECT_EQ(pool.stored_value(pages[0], layer, 0) + run, pool.stored_value(pages[1], layer, 0));
  }
  for (PageId page : pages) pool.release(page);
  test::expect_pool_idle(pool);
}

TEST(PagePool, SharedPagesAreImmutable) {
  PagePool pool(small_pool());
  const PageId page = pool.acquire();
  pool.retain(page);
  std::vector<float> data(6, 1.0f);
  EXPECT_THROW(pool.store(page, 0, 0, data.data(), data.data()), Error);
  pool.release(page);
  EXPECT_NO_THROW(pool.store(page, 0, 0, data.data(), data.data()));
  pool.release(page);
  test::expect_pool_idle(pool);
}

TEST(PagePool, RejectsUnsupportedConfigurations) {
  EXPECT_THROW(PagePool(small_pool(tensor::ElementType::Q8_0)), Error);
  auto config = small_pool();
  config.page_tokens = 0;
  EXPECT_THROW(PagePool{config}, Error);
}

TEST(KvSequence, ReservesPagesAsItGrowsAndReturnsThemAll) {
  PagePool pool(small_pool(tensor::ElementType::F16, 8));
  {
    KvSequence sequence(pool);
    sequence.reserve(1);
    EXPECT_EQ(pool.pages_in_use(), 1);
    sequence.reserve(9);  // 9 slots of 4 per page
    EXPECT_EQ(pool.pages_in_use(), 3);
    sequence.set_length(9);
    EXPECT_EQ(sequence.length(), 9);
    EXPECT_EQ(sequence.page_of(8), sequence.pages()[2]);
    EXPECT_EQ(sequence.slot_in_page(8), 0);
    EXPECT_THROW(sequence.set_length(13), Error);

    KvSequence moved(std::move(sequence));
    EXPECT_EQ(moved.length(), 9);
    EXPECT_EQ(pool.pages_in_use(), 3);
    KvSequence other(pool);
    other.reserve(4);
    EXPECT_EQ(pool.pages_in_use(), 4);
    other = std::move(moved);  // other's own page goes back
    EXPECT_EQ(pool.pages_in_use(), 3);
  }
  EXPECT_EQ(pool.pages_in_use(), 0);
}

}  // namespace
}  // namespace weft::kv
