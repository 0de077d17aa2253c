// Loading rejects what it cannot run with a message naming the culprit. The bad files are
// the llama fixture with a few bytes changed in memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <span>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "model/model.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft::model {
namespace {

std::vector<std::byte> fixture_bytes() {
  return test::read_file_bytes(test::shared_path("fixtures/llama/llama-f32.gguf"));
}

size_t find_text(const std::vector<std::byte>& bytes, const std::string& text) {
  const auto* begin = reinterpret_cast<const char*>(bytes.data());
  const auto* found = std::search(begin, begin + bytes.size(), text.begin(), text.end());
  EXPECT_NE(found, begin + bytes.size()) << text;
  return static_cast<size_t>(found - begin);
}

void overwrite(std::vector<std::byte>& bytes, size_t at, const std::string& text) {
  std::memcpy(bytes.data() + at, text.data(), text.size());
}

std::string load_error(const std::vector<std::byte>& bytes) {
  try {
    Model::from_file(gguf::GgufFile::from_buffer(bytes, "patched.gguf"));
  } catch (const Error& error) {
    return error.what();
  }
  return "";
}

TEST(ModelLoad, ReadsTheFixtureHyperparameters) {
  auto model = Model::load(test::shared_path("fixtures/llama/llama-f32.gguf").string(),
                           {.context_length = 100});
  const auto& config = model->config();
  EXPECT_EQ(config.architecture, Architecture::llama);
  EXPECT_EQ(config.n_embd, 256);
  EXPECT_EQ(config.n_layer, 2);
  EXPECT_EQ(config.n_head, 4);
  EXPECT_EQ(config.n_head_kv, 2);
  EXPECT_EQ(config.head_dim, 64);
  EXPECT_EQ(config.n_ff, 512);
  EXPECT_EQ(config.n_vocab, 512);
  EXPECT_EQ(config.trained_context, 256);
  EXPECT_EQ(config.context_length, 100);
  EXPECT_FALSE(model->weights().tied_output);
  auto qwen2 = Model::load(test::shared_path("fixtures/qwen2/qwen2-f32.gguf").string());
  EXPECT_TRUE(qwen2->weights().tied_output);
  EXPECT_EQ(qwen2->config().rope_mode, tensor::RopeMode::neox);
}

TEST(ModelLoad, NamesAnUnsupportedArchitecture) {
  auto bytes = fixture_bytes();
  const size_t key = find_text(bytes, "general.architecture");
  // key, then its value: type (u32) and length (u64) before the text.
  overwrite(bytes, key + std::strlen("general.architecture") + 4 + 8, "mamba");
  const auto message = load_error(bytes);
  EXPECT_NE(message.find("architecture 'mamba' is not supported"), std::string::npos) << message;
}

TEST(ModelLoad, NamesAMissingTensor) {
  auto bytes = fixture_bytes();
  overwrite(bytes, find_text(bytes, "blk.1.ffn_up.weight"), "blk.1.ffn_uq.weight");
  const auto message = load_error(bytes);
  EXPECT_NE(message.find("tensor 'blk.1.ffn_up.weight' is missing"), std::string::npos) << message;
}

TEST(ModelLoad, NamesTheQwen2AttentionBiasThatIsMissing) {
  const auto qwen2 = test::read_file_bytes(test::shared_path("fixtures/qwen2/qwen2-f32.gguf"));
  for (const std::string role : {"attn_q", "attn_k", "attn_v"}) {
    auto bytes = qwen2;
    const std::string name = "blk.0." + role + ".bias";
    overwrite(bytes, find_text(bytes, name), "blk.0." + role + ".biaz");
    const auto message = load_error(bytes);
    EXPECT_NE(message.find("tensor '" + name + "' is missing"), std::string::npos) << message;
  }
}

TEST(ModelLoad, NamesAMissingKey) {
  auto bytes = fixture_bytes();
  overwrite(bytes, find_text(bytes, "llama.block_count"), "llama.block_cxunt");
  const auto message = load_error(bytes);
  EXPECT_NE(message.find("'llama.block_count'"), std::string::npos) << message;
}

TEST(ModelLoad, NamesATensorWhoseShapeDisagreesWithTheHyperparameters) {
  auto bytes = fixture_bytes();
  const size_t key = find_text(bytes, "llama.feed_forward_length");
  const uint32_t wrong = 384;
  std::memcpy(bytes.data() + key + std::strlen("llama.feed_forward_length") + 4, &wrong, 4);
  const auto message = load_error(bytes);
  EXPECT_NE(
      message.find("tensor 'blk.0.ffn_gate.weight' has shape [256, 512], expected [256, 384]"),
      std::string::npos)
      << message;
}

TEST(ModelLoad, FoldsLlama3RopeFactorsAndLinearScalingIntoTheFrequencies) {
  auto original = gguf::GgufFile::open(test::shared_path("fixtures/llama/llama-f32.gguf").string());
  auto writer = gguf::GgufWriter::copy_of(*original);
  std::vector<float> factors(32);
  for (size_t i = 0; i < factors.size(); ++i) factors[i] = 1.0f + static_cast<float>(i % 4);
  writer.add_tensor({"rope_freqs.weight",
                     tensor::ElementType::F32,
                     {32},
                     std::as_bytes(std::span<const float>(factors))});
  writer.set_string("llama.rope.scaling.type", "linear");
  writer.set_float32("llama.rope.scaling.factor", 4.0f);
  auto model = Model::from_file(gguf::GgufFile::from_buffer(writer.to_bytes(), "rope.gguf"));
  const auto& frequencies = model->weights().rope_inverse_frequencies;
  ASSERT_EQ(frequencies.size(), 32u);
  for (size_t i = 0; i < 32; ++i) {
    // θ_i = position · base^(−2i/n_rot) / scaling factor / rope_freqs[i]
    const double expected =
        std::pow(10000.0, -2.0 * static_cast<double>(i) / 64.0) / 4.0 / factors[i];
    EXPECT_NEAR(frequencies[i], expected, 1e-12 * expected) << i;
  }

  // YaRN is supported (tests/model/rope_yarn_test.cpp); LongRoPE is not.
  writer.set_string("llama.rope.scaling.type", "longrope");
  const auto message = load_error(writer.to_bytes());
  EXPECT_NE(message.find("rope scaling 'longrope'"), std::string::npos) << message;
}

}  // namespace
}  // namespace weft::model

namespace weft::model {
namespace {

// Q4_0 matrices get a packed copy where the CPU has products for it, and only then; the
// fast products over it are checked in tests/tensor/packed_weights_test.cpp and, on the fixture
// models, in fast_kernels_logits_test.cpp.
TEST(ModelLoad, PacksQ4_0MatricesWhereTheCpuHasPackedProducts) {
  const auto path = test::shared_path("fixtures/llama/llama-q4_0.gguf").string();
  const auto packed = Model::load(path);
  const auto& layer = packed->weights().layers.front();
  if (tensor::packed_products_available(tensor::ElementType::Q4_0)) {
    EXPECT_NE(layer.wq.packed, nullptr);
    EXPECT_NE(layer.down.packed, nullptr);
    EXPECT_FALSE(packed->weights().packed.empty());
  } else {
    EXPECT_EQ(layer.wq.packed, nullptr);
  }
  ModelLoadOptions as_stored;
  as_stored.pack_weights = false;
  const auto plain = Model::load(path, as_stored);
  EXPECT_EQ(plain->weights().layers.front().wq.packed, nullptr);
  EXPECT_TRUE(plain->weights().packed.empty());
  // The stored view is kept for the kernels that read it.
  EXPECT_EQ(layer.wq.data, packed->file().find_tensor("blk.0.attn_q.weight")->data);
}

}  // namespace
}  // namespace weft::model
