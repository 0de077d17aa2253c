// Pooling as the GGUF asks (llama.cpp's `<arch>.pooling_type` values) and L2 normalisation,
// against values worked out by hand.
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "runtime/embedding_pooling.hpp"
#include "weft/error.hpp"

namespace weft {
namespace {

using runtime::Pooling;

std::shared_ptr<const gguf::GgufFile> file_with(std::optional<uint32_t> pooling_type,
                                                std::optional<bool> causal = std::nullopt) {
  gguf::GgufWriter writer;
  writer.set_string("general.architecture", "qwen3");
  if (pooling_type) writer.set_uint32("qwen3.pooling_type", *pooling_type);
  if (causal) writer.set_bool("qwen3.attention.causal", *causal);
  return gguf::GgufFile::from_buffer(writer.to_bytes(), "model.gguf");
}

std::string pooling_error(std::optional<uint32_t> pooling_type,
                          std::optional<bool> causal = std::nullopt) {
  try {
    runtime::pooling_of(*file_with(pooling_type, causal), "qwen3");
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::invalid_request);
    return error.what();
  }
  return "no error";
}

TEST(EmbeddingPooling, FollowsThePoolingTypeKey) {
  EXPECT_EQ(runtime::pooling_of(*file_with(std::nullopt), "qwen3"), Pooling::mean);
  EXPECT_EQ(runtime::pooling_of(*file_with(0), "qwen3"), Pooling::mean);  // none
  EXPECT_EQ(runtime::pooling_of(*file_with(1), "qwen3"), Pooling::mean);
  EXPECT_EQ(runtime::pooling_of(*file_with(2), "qwen3"), Pooling::cls);
  EXPECT_EQ(runtime::pooling_of(*file_with(3), "qwen3"), Pooling::last);
  EXPECT_EQ(runtime::pooling_of(*file_with(3, true), "qwen3"), Pooling::last);
}

TEST(EmbeddingPooling, RefusesRankUnknownValuesAndBidirectionalModels) {
  EXPECT_EQ(pooling_error(4),
            "model.gguf: qwen3.pooling_type is 4 (rank): a reranking model's scores need a "
            "classifier head, which this engine does not compute");
  EXPECT_NE(pooling_error(9).find("qwen3.pooling_type is 9, not a known pooling"),
            std::string::npos);
  EXPECT_NE(pooling_error(1, false).find("qwen3.attention.causal is false"), std::string::npos);
}

TEST(EmbeddingPooling, MeanAveragesEveryRow) {
  runtime::PooledVector pooled(Pooling::mean, 3, 2);
  pooled.add_row(0, std::vector<float>{1.0f, -2.0f});
  EXPECT_FALSE(pooled.complete());
  pooled.add_row(1, std::vector<float>{2.0f, 0.5f});
  pooled.add_row(2, std::vector<float>{6.0f, 0.25f});
  ASSERT_TRUE(pooled.complete());
  EXPECT_EQ(pooled.result(), (std::vector<float>{3.0f, -0.4166666666666667f}));
}

TEST(EmbeddingPooling, MeanSumsInDoublePrecision) {
  // 1e8 + 1 + 1 − 1e8 summed in float loses the ones (floats near 1e8 are 8 apart); in
  // double it keeps them.
  runtime::PooledVector pooled(Pooling::mean, 4, 1);
  const std::vector<float> values = {1e8f, 1.0f, 1.0f, -1e8f};
  for (int64_t row = 0; row < 4; ++row) {
    pooled.add_row(row, std::vector<float>{values[static_cast<size_t>(row)]});
  }
  EXPECT_EQ(pooled.result(), std::vector<float>{0.5f});
}

TEST(EmbeddingPooling, ClsAndLastTakeOneRow) {
  runtime::PooledVector cls(Pooling::cls, 3, 2);
  runtime::PooledVector last(Pooling::last, 3, 2);
  const std::vector<std::vector<float>> rows = {{1, 2}, {3, 4}, {5, 6}};
  for (int64_t row = 0; row < 3; ++row) {
    cls.add_row(row, rows[static_cast<size_t>(row)]);
    last.add_row(row, rows[static_cast<size_t>(row)]);
    EXPECT_EQ(last.complete(), row == 2);
  }
  EXPECT_EQ(cls.result(), (std::vector<float>{1, 2}));
  EXPECT_EQ(last.result(), (std::vector<float>{5, 6}));
  EXPECT_TRUE(runtime::pooling_reads_row(Pooling::cls, 0, 3));
  EXPECT_FALSE(runtime::pooling_reads_row(Pooling::cls, 1, 3));
  EXPECT_TRUE(runtime::pooling_reads_row(Pooling::last, 2, 3));
  EXPECT_FALSE(runtime::pooling_reads_row(Pooling::last, 0, 3));
}

TEST(EmbeddingPooling, ReadingBeforeTheLastRowIsAnError) {
  runtime::PooledVector pooled(Pooling::mean, 2, 1);
  pooled.add_row(0, std::vector<float>{1});
  EXPECT_THROW(pooled.result(), Error);
  EXPECT_THROW(pooled.add_row(1, std::vector<float>{1, 2}), Error);  // wrong width
}

TEST(EmbeddingPooling, L2NormalisationGivesUnitLength) {
  std::vector<float> vector = {3, 4, 0};
  runtime::l2_normalize(vector);
  EXPECT_EQ(vector, (std::vector<float>{0.6f, 0.8f, 0.0f}));
  std::vector<float> zero = {0, 0};
  runtime::l2_normalize(zero);
  EXPECT_EQ(zero, (std::vector<float>{0, 0}));
}

}  // namespace
}  // namespace weft
