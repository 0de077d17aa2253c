// weft mkmodel's generator: files read back with the GGUF reader, deterministic bytes, and
// the same tensor names, shapes, types and hyper-parameter keys as the fixtures that
// llama.cpp's llama-quantize produced for the same shape.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "gguf/value_format.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "support/shared_files.hpp"
#include "tensor/quant_formats.hpp"
#include "tokenizer/hf_import.hpp"
#include "weft/error.hpp"

namespace weft::model::synthetic {
namespace {

using tensor::ElementType;

ModelShape small_shape(const std::string& architecture) {
  ModelShape shape = custom_shape(architecture);
  shape.embedding = 256;
  shape.layers = 2;
  shape.heads = 4;
  shape.kv_heads = 2;
  shape.feed_forward = 512;
  shape.vocab = 512;
  shape.context = 256;
  return shape;
}

struct ReadBack {
  std::vector<std::byte> bytes;
  std::shared_ptr<const gguf::GgufFile> file;
};

ReadBack generate_and_read_back(const SyntheticOptions& options) {
  ReadBack result;
  result.bytes = SyntheticModel::generate(options).writer().to_bytes();
  result.file = gguf::GgufFile::from_buffer(result.bytes, "synthetic");
  return result;
}

SyntheticOptions options_for(ModelShape shape, const std::string& type, uint64_t seed = 7) {
  SyntheticOptions options;
  options.shape = std::move(shape);
  options.recipe = *parse_type_recipe(type);
  options.seed = seed;
  options.threads = 2;
  return options;
}

std::shared_ptr<const gguf::GgufFile> fixture(const std::string& arch, const std::string& variant) {
  return gguf::GgufFile::open(
      test::shared_path("fixtures/" + arch + "/" + arch + "-" + variant + ".gguf").string());
}

// Every tensor of the fixture exists in ours with the same shape and type, and no others;
// every <arch>.* key of the fixture has the same value in ours.
void expect_same_layout(const gguf::GgufFile& ours, const gguf::GgufFile& theirs,
                        const std::string& arch) {
  std::set<std::string> our_names;
  for (const auto& tensor : ours.tensors()) our_names.insert(tensor.name);
  std::set<std::string> their_names;
  for (const auto& tensor : theirs.tensors()) {
    their_names.insert(tensor.name);
    const gguf::TensorView* mine = ours.find_tensor(tensor.name);
    ASSERT_NE(mine, nullptr) << tensor.name;
    EXPECT_EQ(mine->shape, tensor.shape) << tensor.name;
    EXPECT_EQ(tensor::traits_of(mine->type).name, tensor::traits_of(tensor.type).name)
        << tensor.name << " in " << theirs.path();
  }
  EXPECT_EQ(our_names, their_names);
  int compared = 0;
  for (const auto& entry : theirs.metadata()) {
    if (entry.key.rfind(arch + ".", 0) != 0) continue;
    const gguf::Value* mine = ours.find(entry.key);
    ASSERT_NE(mine, nullptr) << entry.key;
    EXPECT_EQ(gguf::format_value(*mine), gguf::format_value(entry.value)) << entry.key;
    ++compared;
  }
  EXPECT_GE(compared, 8);
  EXPECT_EQ(ours.get_string("general.architecture"), arch);
}

TEST(SyntheticModel, MatchesLlamaQuantizeLayoutOfEveryLlamaFixture) {
  // variant of fixtures/llama → our --type for the same tensor types
  const std::map<std::string, std::string> variants = {
      {"f32", "f32"},   {"f16", "f16"},   {"bf16", "bf16"}, {"q8_0", "q8_0"},    {"q4_0", "q4_0"},
      {"q4_1", "q4_1"}, {"q5_0", "q5_0"}, {"q5_1", "q5_1"}, {"q2_k", "q2_k"},    {"q3_k", "q3_k"},
      {"q4_k", "q4_k"}, {"q5_k", "q5_k"}, {"q6_k", "q6_k"}, {"q4_k_m", "q4_k_m"}};
  for (const auto& [variant, type] : variants) {
    SCOPED_TRACE(variant);
    ModelShape shape = small_shape("llama");
    shape.tied_embeddings = false;  // the llama fixture has output.weight
    const auto ours = generate_and_read_back(options_for(shape, type));
    expect_same_layout(*ours.file, *fixture("llama", variant), "llama");
  }
}

TEST(SyntheticModel, MatchesLlamaQuantizeLayoutOfQwen2Fixtures) {
  for (const std::string variant : {"f32", "q8_0", "q4_0", "q4_k_m"}) {
    SCOPED_TRACE(variant);
    const auto ours = generate_and_read_back(options_for(small_shape("qwen2"), variant));
    expect_same_layout(*ours.file, *fixture("qwen2", variant), "qwen2");
  }
}

// qwen3 (q/k norms), phi3 (fused attn_qkv and gate+up, untied) and gemma2 (post-norms, soft-caps,
// sliding window, key/value lengths) against the fixtures' layouts. The fixtures' gemma2 caps
// are smaller than Gemma 2's published ones that mkmodel writes by default.
TEST(SyntheticModel, MatchesLlamaQuantizeLayoutOfQwen3Phi3AndGemma2Fixtures) {
  for (const std::string arch : {"qwen3", "phi3", "gemma2"}) {
    for (const std::string variant : {"f32", "q8_0", "q4_k_m"}) {
      SCOPED_TRACE(arch + "-" + variant);
      auto shape = small_shape(arch);
      if (arch == "gemma2") {
        EXPECT_EQ(shape.attention_softcap, 50.0f);
        EXPECT_EQ(shape.final_softcap, 30.0f);
        shape.attention_softcap = 20.0f;
        shape.final_softcap = 10.0f;
      }
      const auto ours = generate_and_read_back(options_for(shape, variant));
      expect_same_layout(*ours.file, *fixture(arch, variant), arch);
    }
  }
}

TEST(SyntheticModel, BytesAreDeterministicAndIndependentOfThreads) {
  auto options = options_for(small_shape("llama"), "q4_k_m", 42);
  options.threads = 1;
  const auto first = generate_and_read_back(options);
  options.threads = 3;
  const auto second = generate_and_read_back(options);
  EXPECT_TRUE(first.bytes == second.bytes);
  options.seed = 43;
  const auto other = generate_and_read_back(options);
  ASSERT_EQ(other.bytes.size(), first.bytes.size());
  const auto* a = first.file->find_tensor("blk.0.attn_q.weight");
  const auto* b = other.file->find_tensor("blk.0.attn_q.weight");
  EXPECT_NE(std::memcmp(a->data, b->data, a->size_bytes), 0) << "the seed changes the weights";
}

double standard_deviation(const std::vector<float>& values, double mean) {
  double sum = 0;
  for (float v : values) sum += (v - mean) * (v - mean);
  return std::sqrt(sum / static_cast<double>(values.size()));
}

std::vector<float> values_of(const gguf::TensorView& tensor) {
  std::vector<float> values(tensor.element_count());
  tensor::dequantize_row(tensor.type, tensor.data, values.data(),
                         static_cast<int64_t>(values.size()));
  return values;
}

struct ExpectedScale {
  std::string name;
  double mean;
  double deviation;
  uint64_t first_row = 0;  // rows [first_row, end_row) of the tensor
  uint64_t end_row = UINT64_MAX;
};

void expect_scales(const ReadBack& model, const std::vector<ExpectedScale>& expected) {
  for (const auto& e : expected) {
    const auto* tensor = model.file->find_tensor(e.name);
    ASSERT_NE(tensor, nullptr) << e.name;
    const auto all = values_of(*tensor);
    const uint64_t row_length = tensor->shape[0];
    const uint64_t end_row = std::min(e.end_row, tensor->rows());
    const std::vector<float> values(all.begin() + static_cast<int64_t>(e.first_row * row_length),
                                    all.begin() + static_cast<int64_t>(end_row * row_length));
    double mean = 0;
    for (float v : values) mean += v;
    mean /= static_cast<double>(values.size());
    const double tolerance = 4 * e.deviation / std::sqrt(static_cast<double>(values.size()));
    EXPECT_NEAR(mean, e.mean, tolerance) << e.name << " from row " << e.first_row;
    EXPECT_NEAR(standard_deviation(values, mean), e.deviation, 0.15 * e.deviation)
        << e.name << " from row " << e.first_row;
  }
}

// The embedding scale of docs/mkmodel.md: the element size min(3, 0.07·√(2 ln vocab)·√(2·layers))
// / √dim, the output norm's gain making logits of deviation 3.
TEST(SyntheticModel, WeightScalesAreAsDocumented) {
  const double dim = 256;
  const double embedding = 0.07 * std::sqrt(2 * std::log(512.0)) * std::sqrt(4.0) / std::sqrt(dim);
  const double gain = 3 / (embedding * std::sqrt(dim));
  expect_scales(generate_and_read_back(options_for(small_shape("qwen2"), "f32")),
                {
                    {"blk.0.attn_q.weight", 0, 2 / std::sqrt(dim)},
                    {"blk.0.attn_v.weight", 0, 1 / std::sqrt(dim)},
                    {"blk.1.ffn_down.weight", 0, 2 / std::sqrt(512.0)},
                    {"token_embd.weight", 0, embedding},
                    {"output_norm.weight", gain, 0.1 * gain},
                    {"blk.0.attn_norm.weight", 1, 0.1},
                    {"blk.0.attn_k.bias", 0, 0.1},
                });
  // Untied: output.weight carries the logit scale, the output norm is plain.
  expect_scales(generate_and_read_back(options_for(small_shape("phi3"), "f32")),
                {
                    {"token_embd.weight", 0, embedding},
                    {"output.weight", 0, 3 / std::sqrt(dim)},
                    {"output_norm.weight", 1, 0.1},
                    // fused q (256 rows) and k (128), then v (128)
                    {"blk.0.attn_qkv.weight", 0, 2 / std::sqrt(dim), 0, 384},
                    {"blk.0.attn_qkv.weight", 0, 1 / std::sqrt(dim), 384},
                    {"blk.1.ffn_up.weight", 0, 1 / std::sqrt(dim)},
                });
  // Gemma 2 multiplies the embedding by √dim on input: its stored values are that much smaller.
  expect_scales(generate_and_read_back(options_for(small_shape("gemma2"), "f32")),
                {
                    {"token_embd.weight", 0, embedding / std::sqrt(dim)},
                    {"output_norm.weight", gain * std::sqrt(dim), 0.1 * gain * std::sqrt(dim)},
                    {"blk.1.post_ffw_norm.weight", 1, 0.1},
                });
}

TEST(SyntheticModel, CopiesTheTokenizerOfAGguf) {
  const auto source =
      gguf::GgufFile::open(test::shared_path("models/stories260K/stories260K-f32.gguf").string());
  auto options = options_for(small_shape("llama"), "q8_0");
  options.shape.vocab = 1000;  // follows the tokenizer instead
  options.tokenizer = tokenizer_metadata_of(*source);
  const auto model = generate_and_read_back(options);
  const auto tokens = source->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens);
  EXPECT_EQ(model.file->get_string_array("tokenizer.ggml.tokens"), tokens);
  EXPECT_EQ(model.file->get_uint("llama.vocab_size"), tokens->size());
  EXPECT_EQ(model.file->find_tensor("token_embd.weight")->shape,
            (std::vector<uint64_t>{256, tokens->size()}));
  for (const auto& entry : source->metadata()) {
    if (entry.key.rfind("tokenizer.", 0) != 0) continue;
    ASSERT_TRUE(model.file->has(entry.key)) << entry.key;
    EXPECT_EQ(gguf::format_value(*model.file->find(entry.key), gguf::FormatLimits::none()),
              gguf::format_value(entry.value, gguf::FormatLimits::none()))
        << entry.key;
  }
}

TEST(SyntheticModel, TakesATokenizerImportedFromTokenizerJson) {
  const auto imported = tokenizer::hf_tokenizer_metadata_from_file(
      test::shared_path("models/smollm2-tokenizer/tokenizer.json"));
  auto options = options_for(small_shape("llama"), "q8_0");
  options.tokenizer = imported;
  const auto model = generate_and_read_back(options);
  for (const auto& entry : imported) {
    ASSERT_TRUE(model.file->has(entry.key)) << entry.key;
    EXPECT_EQ(gguf::format_value(*model.file->find(entry.key), gguf::FormatLimits::none()),
              gguf::format_value(entry.value, gguf::FormatLimits::none()))
        << entry.key;
  }
  const auto tokens = model.file->get_string_array("tokenizer.ggml.tokens");
  ASSERT_TRUE(tokens);
  EXPECT_EQ(model.file->find_tensor("token_embd.weight")->shape[1], tokens->size());
}

TEST(SyntheticModel, PlaceholderVocabularyIsCompleteAndUnique) {
  auto shape = small_shape("llama");
  shape.vocab = 5000;
  const auto model = generate_and_read_back(options_for(shape, "q8_0"));
  const auto tokens = model.file->get_string_array("tokenizer.ggml.tokens");
  const auto types = model.file->get_int_array("tokenizer.ggml.token_type");
  const auto scores = model.file->get_float_array("tokenizer.ggml.scores");
  ASSERT_TRUE(tokens && types && scores);
  EXPECT_EQ(tokens->size(), 5000u);
  EXPECT_EQ(types->size(), 5000u);
  EXPECT_EQ(scores->size(), 5000u);
  EXPECT_EQ(std::set<std::string>(tokens->begin(), tokens->end()).size(), tokens->size());
  EXPECT_EQ((*tokens)[1], "<s>");
  EXPECT_EQ((*tokens)[2], "</s>");
  EXPECT_EQ((*tokens)[3 + 0x41], "<0x41>");
  EXPECT_EQ(model.file->get_uint("tokenizer.ggml.bos_token_id"), 1u);
  EXPECT_EQ(model.file->get_uint("tokenizer.ggml.eos_token_id"), 2u);
  // Every multi-character piece splits into two shorter pieces of the vocabulary, so
  // SentencePiece merges can reach it.
  const std::set<std::string> vocabulary(tokens->begin(), tokens->end());
  for (size_t id = 259; id < tokens->size(); ++id) {
    const std::string& piece = (*tokens)[id];
    if (piece.size() <= 3) continue;  // one character (the ▁ marker is 3 bytes)
    bool splittable = false;
    for (size_t cut = 1; cut < piece.size() && !splittable; ++cut) {
      splittable = vocabulary.count(piece.substr(0, cut)) && vocabulary.count(piece.substr(cut));
    }
    EXPECT_TRUE(splittable) << piece;
  }
}

TEST(SyntheticModel, NamedShapesAreValidAndSized) {
  for (const auto& name : named_shape_names()) {
    const auto shape = named_shape(name);
    ASSERT_TRUE(shape) << name;
    EXPECT_NO_THROW(validate(*shape)) << name;
  }
  // Parameter counts of the published models (tied embeddings).
  EXPECT_NEAR(static_cast<double>(named_shape("smollm2-135m")->parameter_count()), 134.5e6, 0.5e6);
  EXPECT_NEAR(static_cast<double>(named_shape("qwen2.5-0.5b")->parameter_count()), 494.0e6, 1e6);
  EXPECT_NEAR(static_cast<double>(named_shape("llama-3.2-1b")->parameter_count()), 1235.8e6, 1e6);
}

TEST(SyntheticModel, RejectsImpossibleShapes) {
  auto shape = small_shape("llama");
  shape.heads = 3;  // 256 is not a multiple of 3
  EXPECT_THROW(SyntheticModel::generate(options_for(shape, "q8_0")), Error);
  shape = small_shape("llama");
  shape.kv_heads = 3;
  EXPECT_THROW(SyntheticModel::generate(options_for(shape, "q8_0")), Error);
  shape = small_shape("mamba");
  EXPECT_THROW(SyntheticModel::generate(options_for(shape, "q8_0")), Error);
  shape = small_shape("phi3");
  shape.tied_embeddings = true;
  EXPECT_THROW(SyntheticModel::generate(options_for(shape, "q8_0")), Error);
  shape = small_shape("llama");
  shape.vocab = 100;  // too small for the placeholder vocabulary
  EXPECT_THROW(SyntheticModel::generate(options_for(shape, "q8_0")), Error);
  EXPECT_FALSE(parse_type_recipe("q7_k"));
}

TEST(SyntheticModel, RowLengthsThatDoNotFitFallBackLikeLlamaQuantize) {
  // smollm2's 576-wide rows are not a multiple of 256: K-quant matrices fall back.
  const auto recipe = *parse_type_recipe("q4_k_m");
  EXPECT_EQ(choose_type(recipe, TensorRole::attn_q, 0, 30, true, 576), ElementType::Q5_0);
  EXPECT_EQ(choose_type(recipe, TensorRole::token_embedding, 0, 30, true, 576), ElementType::Q8_0);
  EXPECT_EQ(choose_type(recipe, TensorRole::ffn_down, 0, 30, true, 1536), ElementType::Q6_K);
  EXPECT_EQ(choose_type(*parse_type_recipe("q6_k"), TensorRole::attn_q, 0, 30, true, 576),
            ElementType::Q8_0);
}

}  // namespace
}  // namespace weft::model::synthetic
