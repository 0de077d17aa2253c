// What the forward pass refuses, and that a refused batch leaves every sequence as it was.
#include "runtime/engine.hpp"

#include <gtest/gtest.h>

#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft::runtime {
namespace {

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = model::Model::load(test::shared_path("fixtures/qwen3/qwen3-q8_0.gguf").string(),
                                {.context_length = 40});
    EngineOptions options;
    options.threads = 2;
    options.page_tokens = 8;
    options.kv_pages = 5;
    engine_ = std::make_unique<Engine>(model_, options);
  }

  std::string forward_error(const std::vector<ForwardRow>& rows) {
    ForwardOutputs outputs;
    try {
      engine_->forward(rows, outputs);
    } catch (const Error& error) {
      return error.what();
    }
    return "";
  }

  std::shared_ptr<const model::Model> model_;
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, RejectsBadRowsBeforeTouchingTheCache) {
  auto sequence = engine_->new_sequence();
  EXPECT_NE(
      forward_error({{&sequence, 512, 0, true}}).find("token id 512 is outside the vocabulary"),
      std::string::npos);
  EXPECT_NE(forward_error({{&sequence, 1, 1, true}})
                .find("position 1 does not continue its sequence (expected 0)"),
            std::string::npos);
  EXPECT_NE(
      forward_error({{&sequence, 1, 0, true}, {&sequence, 5, 2, true}}).find("row 1: position 2"),
      std::string::npos);
  EXPECT_NE(forward_error({{nullptr, 1, 0, true}}).find("no sequence"), std::string::npos);
  EXPECT_EQ(sequence.length(), 0);
  EXPECT_EQ(engine_->pages().pages_in_use(), 0);

  std::vector<ForwardRow> rows;
  for (int64_t i = 0; i < 41; ++i) rows.push_back({&sequence, 3, i, false});
  EXPECT_NE(forward_error(rows).find("position 40 is past the context length 40"),
            std::string::npos);
  EXPECT_EQ(sequence.length(), 0);
}

TEST_F(EngineTest, ReportsAnExhaustedPoolAndKeepsWorkingAfterwards) {
  auto first = engine_->new_sequence();
  auto second = engine_->new_sequence();
  std::vector<ForwardRow> rows;
  for (int64_t i = 0; i < 30; ++i) rows.push_back({&first, 3, i, false});  // 4 pages of 8
  ForwardOutputs outputs;
  engine_->forward(rows, outputs);
  EXPECT_TRUE(outputs.logits.empty());
  EXPECT_EQ(engine_->pages().pages_in_use(), 4);

  rows.clear();
  for (int64_t i = 0; i < 9; ++i) rows.push_back({&second, 3, i, true});  // needs 2 more pages
  EXPECT_NE(forward_error(rows).find("KV page pool exhausted"), std::string::npos);
  EXPECT_EQ(second.length(), 0);

  first.clear();
  second.clear();
  EXPECT_EQ(engine_->pages().pages_in_use(), 0);
  engine_->forward(rows, outputs);
  EXPECT_EQ(outputs.logit_rows.size(), 9u);
  EXPECT_EQ(second.length(), 9);
}

TEST_F(EngineTest, ReturnsHiddenStatesOnRequest) {
  auto sequence = engine_->new_sequence();
  const std::vector<ForwardRow> rows = {{&sequence, 1, 0, false, true},
                                        {&sequence, 9, 1, true, false}};
  ForwardOutputs outputs;
  engine_->forward(rows, outputs);
  EXPECT_EQ(outputs.hidden_rows, std::vector<int64_t>{0});
  EXPECT_EQ(outputs.hidden.size(), 256u);
  EXPECT_EQ(outputs.logit_rows, std::vector<int64_t>{1});
  EXPECT_EQ(outputs.logits_at(0).size(), 512u);
}

}  // namespace
}  // namespace weft::runtime
