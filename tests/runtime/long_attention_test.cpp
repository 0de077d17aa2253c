// The fast attention (a tiled online softmax reading the cache in place) on long sequences:
// 1,100 keys over 69 pages (and over 48-slot pages, which it reads in 32-slot pieces), the
// qwen2.5-0.5b head layout (14 query heads sharing 2 kv heads of 64: a GQA ratio of 7), rows
// of two sequences, F16, Q8_0 and F32 caches, plain, windowed and soft-capped, with sinks and
// with masks. Each output is checked against attention computed in double precision:
//  - over the values the cache holds (rounded here by the formats' definitions), within what
//    float32 arithmetic can add: score sums of head_dim products, the exp polynomial, one
//    rescaling per piece, sums over every slot;
//  - over the unrounded keys and values, within what F16 or Q8_0 rounding can move the result:
//    each key element off by at most e (F16: 2⁻¹¹·|x| + 2⁻²⁵; Q8_0: d·(½ + 127·2⁻¹¹) with d the
//    block's scale) moves a score by at most scale·Σ|q|·e = Δ, each softmax weight by a factor
//    within e^(±2Δ), and a value element's own rounding adds its e.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kv/kv_type_name.hpp"
#include "runtime/paged_attention.hpp"
#include "support/random_kv_cache.hpp"
#include "tensor/cpu_features.hpp"

namespace weft::runtime {
namespace {

constexpr int64_t kHeads = 14, kKvHeads = 2, kDim = 64, kKvDim = kKvHeads * kDim;
constexpr int64_t kGroup = kHeads / kKvHeads;
constexpr double kUnit = 0x1p-24;  // float32's unit roundoff

struct StoredValue {
  float stored;         // what the cache holds
  double rounding = 0;  // bound on |stored − original|
};

// Rounds x as the cache type does, by the formats' definitions (support/random_kv_cache.hpp),
// with a bound on each value's rounding.
std::vector<StoredValue> as_stored(tensor::ElementType type, const std::vector<float>& x) {
  std::vector<StoredValue> out(x.size());
  if (type == tensor::ElementType::Q8_0) {
    std::vector<float> scales;
    const auto stored = test::reference_q8_0_values(x, &scales);
    for (size_t i = 0; i < x.size(); ++i)
      out[i] = {stored[i], scales[i] * (0.5 + 1e-5 + 127 * 0x1p-11)};
  } else if (type == tensor::ElementType::F16) {
    const auto stored = test::f16_values(x);
    for (size_t i = 0; i < x.size(); ++i) out[i] = {stored[i], 0x1p-11 * std::fabs(x[i]) + 0x1p-25};
  } else {
    for (size_t i = 0; i < x.size(); ++i) out[i] = {x[i], 0.0};
  }
  return out;
}

struct Sequence {
  std::vector<float> keys, values;  // slots × kKvDim, as computed
  std::vector<StoredValue> stored_keys, stored_values;
};

struct LongFixture {
  test::RandomKvCache cache;
  std::vector<kv::KvSequence>& sequences = cache.sequences;
  std::vector<Sequence> contents;

  LongFixture(tensor::ElementType type, int64_t page_tokens, const std::vector<int64_t>& lengths)
      : cache(type, kKvDim, page_tokens, /*max_pages=*/200, /*seed=*/11, lengths) {
    for (size_t s = 0; s < lengths.size(); ++s) {
      Sequence content{cache.keys[s], cache.values[s], as_stored(type, cache.keys[s]),
                       as_stored(type, cache.values[s])};
      contents.push_back(std::move(content));
    }
  }
};

// One head of one row in double precision, with the bound on the fast path's difference.
struct ExpectedHead {
  std::vector<double> out, tolerance;
};

// Attention of query head h over the slots the row sees; `stored` picks the cache's values
// (tolerance: float32 arithmetic) or the unrounded ones (tolerance: that plus the rounding).
ExpectedHead expected_head(const Sequence& s, const float* q, const AttentionRow& row, int64_t h,
                           const AttentionShape& shape, bool stored) {
  const int64_t kv = h / kGroup;
  const int64_t first =
      shape.window > 0 ? std::max<int64_t>(0, row.position - shape.window + 1) : 0;
  std::vector<double> scores;
  std::vector<int64_t> slots;
  double score_error = 0, rounding_shift = 0;
  for (int64_t j = first; j <= row.position; ++j) {
    if (!row.visible.empty() && row.visible[static_cast<size_t>(j)] == 0) continue;
    double score = 0, magnitude = 0, shift = 0;
    for (int64_t d = 0; d < kDim; ++d) {
      const auto i = static_cast<size_t>(j * kKvDim + kv * kDim + d);
      const double key = stored ? s.stored_keys[i].stored : s.keys[i];
      score += q[h * kDim + d] * key;
      magnitude += std::fabs(static_cast<double>(q[h * kDim + d]) * s.stored_keys[i].stored);
      shift += std::fabs(q[h * kDim + d]) * s.stored_keys[i].rounding;
    }
    score *= shape.scale;
    if (shape.softcap > 0) score = shape.softcap * std::tanh(score / shape.softcap);
    score_error = std::max(
        score_error, (kDim + 2) * kUnit * shape.scale * magnitude + 4 * kUnit * shape.softcap);
    rounding_shift = std::max(rounding_shift, shape.scale * shift);
    scores.push_back(score);
    slots.push_back(j);
  }
  ExpectedHead head{std::vector<double>(kDim, 0.0), std::vector<double>(kDim, 1e-30)};
  if (scores.empty()) return head;  // nothing visible: zero output
  const double sink = shape.sinks != nullptr ? shape.sinks[h] : -INFINITY;
  double max = sink;
  for (double x : scores) max = std::max(max, x);
  double sum = std::exp(sink - max);
  for (double& x : scores) sum += (x = std::exp(x - max));
  const auto count = static_cast<double>(scores.size());
  const double pieces = count / 32.0 + 2;  // runs of 32 slots (fast_attention.cpp)
  const double relative = 2 * score_error + (2 * count + 2 * pieces + 16) * kUnit;
  const double shift = stored ? 0.0 : std::expm1(2 * (rounding_shift + score_error));
  for (size_t i = 0; i < scores.size(); ++i) {
    const double weight = scores[i] / sum;
    for (int64_t d = 0; d < kDim; ++d) {
      const StoredValue& v =
          s.stored_values[static_cast<size_t>(slots[i] * kKvDim + kv * kDim + d)];
      const double value =
          stored ? v.stored : s.values[static_cast<size_t>(slots[i] * kKvDim + kv * kDim + d)];
      head.out[static_cast<size_t>(d)] += weight * value;
      head.tolerance[static_cast<size_t>(d)] +=
          weight * (relative * std::fabs(v.stored) +
                    (stored ? 0.0 : shift * (std::fabs(value) + v.rounding) + v.rounding));
    }
  }
  return head;
}

struct CacheLayout {
  tensor::ElementType type;
  int64_t page_tokens;
};

class LongAttention : public ::testing::TestWithParam<CacheLayout> {
 protected:
  void SetUp() override {
    if (!tensor::cpu_has_avx2_fma_f16c()) GTEST_SKIP() << "the fast attention needs AVX2";
  }
};

struct Variant {
  const char* name;
  AttentionShape shape;
  bool masked = false;
};

std::vector<Variant> variants(const std::vector<float>& sinks) {
  const AttentionShape plain{kHeads, kKvHeads, kDim, 0.125f, 0.0f, 0};
  AttentionShape windowed = plain;
  windowed.window = 701;  // starts mid-page
  windowed.softcap = 3.0f;
  AttentionShape with_sinks = plain;
  with_sinks.sinks = sinks.data();
  return {{"plain", plain},
          {"window+softcap", windowed},
          {"sinks", with_sinks},
          {"masks", plain, true}};
}

// Masks hiding about a third of the slots (never the row's own), and every slot of row 7.
std::vector<std::vector<uint8_t>> random_masks(const std::vector<AttentionRow>& rows) {
  std::mt19937 rng(4);
  std::bernoulli_distribution hidden(0.35);
  std::vector<std::vector<uint8_t>> masks;
  for (size_t r = 0; r < rows.size(); ++r) {
    std::vector<uint8_t> mask(static_cast<size_t>(rows[r].position + 1));
    for (auto& flag : mask) flag = r == 7 ? 0 : (hidden(rng) ? 0 : 1);
    if (r != 7) mask.back() = 1;
    masks.push_back(std::move(mask));
  }
  return masks;
}

TEST_P(LongAttention, MatchesDoublePrecisionWithinTheFormatsRounding) {
  const CacheLayout cache = GetParam();
  LongFixture f(cache.type, cache.page_tokens, {1100, 1030});
  // A query block of five consecutive rows, a row of the other sequence between two rows of
  // the first, and early rows.
  std::vector<AttentionRow> rows;
  for (int64_t p : {1099, 1098, 1097, 1096, 1095}) rows.push_back({&f.sequences[0], p});
  rows.push_back({&f.sequences[1], 1029});
  for (int64_t p : {700, 33, 0}) rows.push_back({&f.sequences[0], p});
  std::mt19937 rng(12);
  std::normal_distribution<float> normal(0.0f, 1.5f);
  std::vector<float> q(rows.size() * kHeads * kDim);
  for (auto& x : q) x = normal(rng);
  std::vector<float> sinks(kHeads);
  for (auto& x : sinks) x = 2.0f * normal(rng);
  sinks[3] = 40.0f;  // above every score: the sink takes nearly all the weight
  const auto masks = random_masks(rows);
  tensor::ThreadPool threads(2);
  const tensor::Kernels& fast = tensor::kernels_for(tensor::KernelChoice::fast);
  for (const Variant& variant : variants(sinks)) {
    SCOPED_TRACE(variant.name);
    std::vector<AttentionRow> these = rows;
    if (variant.masked)
      for (size_t r = 0; r < these.size(); ++r) these[r].visible = masks[r];
    std::vector<float> out(q.size(), NAN);
    paged_attention(fast, threads, variant.shape, 1, these, q.data(), out.data());
    for (size_t r = 0; r < these.size(); ++r) {
      const size_t s = these[r].sequence == &f.sequences[0] ? 0 : 1;
      for (int64_t h = 0; h < kHeads; ++h) {
        const float* q_row = q.data() + r * kHeads * kDim;
        for (bool stored : {true, false}) {
          const auto expected =
              expected_head(f.contents[s], q_row, these[r], h, variant.shape, stored);
          for (int64_t d = 0; d < kDim; ++d) {
            const float got = out[r * kHeads * kDim + static_cast<size_t>(h * kDim + d)];
            ASSERT_NEAR(got, expected.out[static_cast<size_t>(d)],
                        expected.tolerance[static_cast<size_t>(d)])
                << "row " << r << " head " << h << " dim " << d
                << (stored ? " (stored values)" : " (unrounded values)");
          }
        }
      }
    }
    // A row's output does not depend on the rows computed beside it.
    for (size_t r : {size_t{2}, size_t{6}}) {
      std::vector<float> alone(kHeads * kDim, NAN);
      paged_attention(fast, threads, variant.shape, 1, std::span(these).subspan(r, 1),
                      q.data() + r * kHeads * kDim, alone.data());
      for (size_t i = 0; i < alone.size(); ++i)
        ASSERT_EQ(alone[i], out[r * kHeads * kDim + i]) << "row " << r << " value " << i;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Caches, LongAttention,
                         ::testing::Values(CacheLayout{tensor::ElementType::F16, 16},
                                           CacheLayout{tensor::ElementType::Q8_0, 16},
                                           CacheLayout{tensor::ElementType::F32, 16},
                                           CacheLayout{tensor::ElementType::F16, 48},
                                           CacheLayout{tensor::ElementType::Q8_0, 48}),
                         [](const auto& info) {
                           return kv::kv_type_name(info.param.type) + "_pages_of_" +
                                  std::to_string(info.param.page_tokens);
                         });

}  // namespace
}  // namespace weft::runtime
