// A row's logits do not depend on how rows are batched: alone, interleaved with another
// sequence in one pass, or split over several passes. References: evaluating the sequence
// alone in one pass, itself checked against the float64 files by the fixture tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "support/reference_logits.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

// Both the reference kernels and the fast ones (the engine default: SIMD products that
// quantise activations per row, packed weight tiles) compute each row independently of the
// others, so a row's logits are bit-identical whatever the batch.
constexpr double kBatchingTolerance = 0.0;

struct InvarianceFixture {
  std::string arch;
  std::string variant;
  tensor::KernelChoice kernels;
};

class BatchingInvariance : public ::testing::TestWithParam<InvarianceFixture> {
 protected:
  void SetUp() override {
    const auto& [arch, variant, kernels] = GetParam();
    const auto path = test::shared_path("fixtures/" + arch + "/" + arch + "-" + variant + ".gguf");
    model_ = model::Model::load(path.string());
    runtime::EngineOptions options;
    options.threads = 2;
    options.kernels = kernels;
    options.kv_pages = 64;
    engine_ = std::make_unique<runtime::Engine>(model_, options);
    const auto long_tokens = test::read_token_ids(
        test::shared_path("fixtures/llama/reference/llama-f32.long.tokens.txt"));
    first_.assign(long_tokens.begin(), long_tokens.begin() + 40);
    second_.assign(long_tokens.begin() + 100, long_tokens.begin() + 123);
    second_[0] = 1;  // a second prompt that also starts with BOS
  }

  // Logits of every row of `tokens` evaluated in passes of the given sizes.
  std::vector<float> in_passes(const std::vector<int32_t>& tokens,
                               const std::vector<size_t>& pass_sizes) {
    auto sequence = engine_->new_sequence();
    std::vector<float> logits;
    size_t next = 0;
    for (size_t size : pass_sizes) {
      std::vector<runtime::ForwardRow> rows;
      for (size_t i = next; i < std::min(tokens.size(), next + size); ++i) {
        rows.push_back({&sequence, tokens[i], static_cast<int64_t>(i), true, false});
      }
      next += rows.size();
      runtime::ForwardOutputs outputs;
      engine_->forward(rows, outputs);
      logits.insert(logits.end(), outputs.logits.begin(), outputs.logits.end());
    }
    EXPECT_EQ(next, tokens.size());
    return logits;
  }

  std::shared_ptr<const model::Model> model_;
  std::unique_ptr<runtime::Engine> engine_;
  std::vector<int32_t> first_;
  std::vector<int32_t> second_;
};

TEST_P(BatchingInvariance, SplittingIntoPassesGivesTheSameLogits) {
  const auto whole = in_passes(first_, {first_.size()});
  const auto split = in_passes(first_, {1, 7, 16, 3, 13});
  const auto one_by_one = in_passes(first_, std::vector<size_t>(first_.size(), 1));
  EXPECT_LE(test::compare_logits(split, whole).max_abs, kBatchingTolerance);
  EXPECT_LE(test::compare_logits(one_by_one, whole).max_abs, kBatchingTolerance);
  std::printf("[ measured ] %s-%s (%s kernels) split vs whole: %.3e, one by one vs whole: %.3e\n",
              GetParam().arch.c_str(), GetParam().variant.c_str(),
              GetParam().kernels == tensor::KernelChoice::fast ? "fast" : "reference",
              test::compare_logits(split, whole).max_abs,
              test::compare_logits(one_by_one, whole).max_abs);
  EXPECT_EQ(engine_->pages().pages_in_use(), 0);
}

TEST_P(BatchingInvariance, InterleavingAnotherSequenceGivesTheSameLogits) {
  const auto first_alone = in_passes(first_, {first_.size()});
  const auto second_alone = in_passes(second_, {second_.size()});

  // Both sequences in one pass, rows interleaved, with only some rows asking for logits;
  // then a second mixed pass that continues the first sequence and decodes the second.
  auto a = engine_->new_sequence();
  auto b = engine_->new_sequence();
  const size_t first_head = 30;
  std::vector<runtime::ForwardRow> rows;
  for (size_t i = 0; i < std::max(first_head, second_.size()); ++i) {
    if (i < first_head) rows.push_back({&a, first_[i], static_cast<int64_t>(i), i % 2 == 0, false});
    if (i < second_.size()) rows.push_back({&b, second_[i], static_cast<int64_t>(i), true, false});
  }
  runtime::ForwardOutputs outputs;
  engine_->forward(rows, outputs);
  const auto n_vocab = static_cast<size_t>(outputs.n_vocab);
  for (size_t out = 0; out < outputs.logit_rows.size(); ++out) {
    const auto& row = rows[static_cast<size_t>(outputs.logit_rows[out])];
    const auto& alone = row.sequence == &a ? first_alone : second_alone;
    const std::span expected(alone.data() + static_cast<size_t>(row.position) * n_vocab, n_vocab);
    EXPECT_LE(test::compare_logits(outputs.logits_at(out), expected).max_abs, kBatchingTolerance)
        << "row " << outputs.logit_rows[out];
  }
  EXPECT_TRUE(std::all_of(outputs.logit_rows.begin(), outputs.logit_rows.end(),
                          [&](int64_t r) { return rows[static_cast<size_t>(r)].want_logits; }));

  rows.clear();
  for (size_t i = first_head; i < first_.size(); ++i)
    rows.push_back({&a, first_[i], static_cast<int64_t>(i), true, false});
  rows.push_back({&b, 7, static_cast<int64_t>(second_.size()), true, false});
  engine_->forward(rows, outputs);
  for (size_t i = first_head; i < first_.size(); ++i) {
    const std::span expected(first_alone.data() + i * n_vocab, n_vocab);
    EXPECT_LE(test::compare_logits(outputs.logits_at(i - first_head), expected).max_abs,
              kBatchingTolerance);
  }
  EXPECT_EQ(a.length(), static_cast<int64_t>(first_.size()));
  EXPECT_EQ(b.length(), static_cast<int64_t>(second_.size() + 1));
  a.clear();
  b.clear();
  EXPECT_EQ(engine_->pages().pages_in_use(), 0);
}

std::vector<InvarianceFixture> fixtures_with_both_kernels() {
  const std::pair<std::string, std::string> models[] = {{"llama", "f32"},
                                                        {"qwen2", "q4_k_m"},
                                                        {"gemma2", "q8_0"},
                                                        {"phi3", "f32"},
                                                        {"llama", "q4_0"}};
  std::vector<InvarianceFixture> fixtures;
  for (auto kernels : {tensor::KernelChoice::reference, tensor::KernelChoice::fast}) {
    for (const auto& [arch, variant] : models) fixtures.push_back({arch, variant, kernels});
  }
  return fixtures;
}

INSTANTIATE_TEST_SUITE_P(Models, BatchingInvariance,
                         ::testing::ValuesIn(fixtures_with_both_kernels()), [](const auto& info) {
                           const bool fast = info.param.kernels == tensor::KernelChoice::fast;
                           return info.param.arch + "_" + info.param.variant +
                                  (fast ? "_fast" : "_reference");
                         });

}  // namespace
}  // namespace weft
