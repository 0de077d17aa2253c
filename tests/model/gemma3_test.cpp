// Gemma 3 against llama.cpp. The models are small random-weight gemma3 files written by
// weft's mkmodel code (6 layers, so that both layer kinds and the 5:1 pattern appear; a
// 16-token sliding window, so that the 32- and 200-token sequences cross it); llama.cpp's
// logits for those same files are stored in tests/data/gemma3/ with the commands that made
// them (README there). The files (15, 3.9 and 14 MB) are not stored: each is regenerated
// here, and its SHA-256 must equal the one the references were made from, so that a changed
// generator fails loudly instead of comparing against references of another file.
//
// Each Gemma 3 part was broken once and each of the ten llama.cpp comparisons of the F32 and
// Q8_0 files failed,
// the F32 `reference` prompt logits then off by (max abs): local layers roping with the
// global base 13.4; global layers with the local base 3.4; the window one token wider
// (distance `window` visible) 11.1; no q/k norms 12.6; the global layer first in each group
// of six 18.3; no √n_embd embedding scale 4.8; no post_ffw_norm 9.2 (against 3.0e-2 intact).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "model/model.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/fixture_evaluation.hpp"
#include "support/reference_logits.hpp"
#include "support/sha256_digest.hpp"

namespace weft {
namespace {

constexpr uint32_t kSlidingWindow = 16;

struct Gemma3File {
  const char* name;    // tests/data/gemma3/<name>.*
  const char* type;    // weft mkmodel --type
  uint32_t head_size;  // weft mkmodel --head-dim; 0: dim / heads = 64
  uint64_t seed;       // weft mkmodel --seed
  const char* sha256;  // of the file llama.cpp's references were computed on
};

const Gemma3File kGemma3F32{"gemma3-f32", "f32", 0, 3,
                            "60aa8f130402b4b16d0281431cd3cb55fdd5797d6d7ea6f1c0b46ca1023acb70"};
const Gemma3File kGemma3Q8_0{"gemma3-q8_0", "q8_0", 0, 3,
                             "709e62c4a39cc766c6f662dcb699e2e70e9fbd4ac2b5b1c535bf33af54fc7149"};
// Heads of 48 with a 256-wide embedding, so that q (192) and k, v (96) are narrower than the
// embedding, as in every published Gemma 3 (1B: 4 heads of 256 in 1152). Seed 6: with seed 3
// llama.cpp's greedy step 23 is a near tie (its best two logits 0.0017 apart), which weft's
// 2e-2 error may resolve either way; on seed 6's greedy path they are at least 0.028 apart.
const Gemma3File kF32Head48{"gemma3-hd48-f32", "f32", 48, 6,
                            "8815e5ca6d88c244f9addcb06b8acfc8eff857843b66e67c0967fccfa7cbffbc"};

// One file with one kind of kernels, and how far from llama.cpp its logits may be (max abs
// over the 32 prompt rows and the 32 decode rows, then over the 200 rows of the long
// sequence, and the mean abs over each). The bounds are about twice what was measured
// (tests/data/gemma3/README.md has the figures and the reasons).
struct Gemma3Case {
  const Gemma3File* file;
  tensor::KernelChoice kernels;
  const char* label;
  double prompt_max;
  double long_max;
  double mean_max;
};

const Gemma3Case kGemma3Cases[] = {
    {&kGemma3F32, tensor::KernelChoice::reference, "reference", 6e-2, 8e-2, 1e-2},
    {&kGemma3F32, tensor::KernelChoice::rounded_activations, "rounded", 1e-2, 1.5e-2, 2e-3},
    {&kGemma3F32, tensor::KernelChoice::fast, "fast", 6e-2, 8e-2, 1e-2},
    {&kF32Head48, tensor::KernelChoice::reference, "reference", 6e-2, 8e-2, 1e-2},
    {&kF32Head48, tensor::KernelChoice::fast, "fast", 6e-2, 8e-2, 1e-2},
    {&kGemma3Q8_0, tensor::KernelChoice::rounded_activations, "rounded", 2e-5, 1.0, 6e-2},
    {&kGemma3Q8_0, tensor::KernelChoice::fast, "fast", 1.2, 2.0, 0.25},
};

std::filesystem::path data_file(const std::string& name) {
  return std::filesystem::path(WEFT_SOURCE_DIR) / "tests/data/gemma3" / name;
}

std::filesystem::path reference(const Gemma3File& file, const std::string& kind) {
  return data_file(std::string(file.name) + "." + kind);
}

// What `weft mkmodel --arch gemma3 --dim 256 --layers 6 --heads 4 --kv-heads 2 --ffn 512
// --vocab 512 --window 16 --type TYPE --seed SEED` writes (with `--head-dim 48` for kF32Head48).
std::vector<std::byte> generate_gemma3(const Gemma3File& file) {
  model::synthetic::SyntheticOptions options;
  options.shape = model::synthetic::custom_shape("gemma3");
  options.shape.embedding = 256;
  options.shape.layers = 6;
  options.shape.heads = 4;
  options.shape.kv_heads = 2;
  options.shape.feed_forward = 512;
  options.shape.vocab = 512;
  options.shape.head_size = file.head_size;
  options.shape.sliding_window = kSlidingWindow;
  options.recipe = *model::synthetic::parse_type_recipe(file.type);
  options.seed = file.seed;
  options.threads = 2;
  return model::synthetic::SyntheticModel::generate(options).writer().to_bytes();
}

std::shared_ptr<const model::Model> load_gemma3(const Gemma3File& file) {
  const auto bytes = generate_gemma3(file);
  EXPECT_EQ(test::sha256_hex(bytes), file.sha256)
      << "mkmodel no longer writes the file the references of tests/data/gemma3 were made from";
  return model::Model::from_file(
      gguf::GgufFile::from_buffer(bytes, std::string(file.name) + ".gguf"));
}

// For gtest messages.
void PrintTo(const Gemma3Case& check, std::ostream* out) {
  *out << check.file->name << " " << check.label;
}

std::string test_name(const ::testing::TestParamInfo<Gemma3Case>& info) {
  std::string name = std::string(info.param.file->name) + "_" + info.param.label;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class Gemma3 : public ::testing::TestWithParam<Gemma3Case> {};

TEST_P(Gemma3, PromptLogitsAndGreedyMatchLlamaCpp) {
  const Gemma3Case& check = GetParam();
  const Gemma3File& file = *check.file;
  const auto model = load_gemma3(file);
  runtime::Engine engine(model, test::reference_comparison_options(check.kernels));
  auto sequence = engine.new_sequence();
  const auto prompt = test::read_token_ids(data_file("prompt.tokens.txt"));
  const auto expected_greedy = test::read_token_ids(reference(file, "greedy.txt"));
  ASSERT_EQ(prompt.size(), 32u);
  ASSERT_EQ(expected_greedy.size(), 32u);
  const auto result = runtime::evaluate_prompt(engine, sequence, prompt, 32);

  const auto prompt_difference = test::compare_logits(
      result.prompt_logits, test::read_f32_file(reference(file, "logits.f32")));
  const auto decode_difference = test::compare_logits(
      result.greedy_logits, test::read_f32_file(reference(file, "greedy.logits.f32")));
  std::printf(
      "[ measured ] %s %s vs llama.cpp: prompt max abs %.3e (mean %.3e), decode max abs "
      "%.3e (mean %.3e)\n",
      file.name, check.label, prompt_difference.max_abs, prompt_difference.mean_abs,
      decode_difference.max_abs, decode_difference.mean_abs);
  EXPECT_LE(prompt_difference.max_abs, check.prompt_max)
      << "worst at row " << prompt_difference.worst_index / 512;
  EXPECT_LE(prompt_difference.mean_abs, check.mean_max);
  EXPECT_LE(decode_difference.max_abs, check.prompt_max);
  EXPECT_LE(decode_difference.mean_abs, check.mean_max);
  EXPECT_EQ(result.greedy, expected_greedy);
}

// 200 tokens: every sliding layer's window (16) is crossed many times over.
TEST_P(Gemma3, LongSequenceAcrossTheWindowMatchesLlamaCpp) {
  const Gemma3Case& check = GetParam();
  const Gemma3File& file = *check.file;
  const auto model = load_gemma3(file);
  runtime::Engine engine(model, test::reference_comparison_options(check.kernels));
  auto sequence = engine.new_sequence();
  const auto tokens = test::read_token_ids(data_file("long.tokens.txt"));
  ASSERT_EQ(tokens.size(), 200u);
  const auto result = runtime::evaluate_prompt(engine, sequence, tokens, 0);
  const auto difference = test::compare_logits(
      result.prompt_logits, test::read_f32_file(reference(file, "long.logits.f32")));
  std::printf("[ measured ] %s %s long vs llama.cpp: max abs %.3e, mean abs %.3e\n", file.name,
              check.label, difference.max_abs, difference.mean_abs);
  EXPECT_LE(difference.max_abs, check.long_max) << "worst at row " << difference.worst_index / 512;
  EXPECT_LE(difference.mean_abs, check.mean_max);
}

INSTANTIATE_TEST_SUITE_P(MkmodelFiles, Gemma3, ::testing::ValuesIn(kGemma3Cases), test_name);

// What the reader makes of the keys, on the same file: the layer kinds llama.cpp's
// set_swa_pattern(6) gives, the two rope bases, no soft-caps.
TEST(Gemma3Hyperparameters, FiveLocalLayersToOneGlobalWithTheirOwnRopeBase) {
  const auto model = load_gemma3(kGemma3F32);
  const auto& config = model->config();
  EXPECT_EQ(config.layer_is_sliding, (std::vector<bool>{true, true, true, true, true, false}));
  EXPECT_EQ(config.sliding_window, kSlidingWindow);
  EXPECT_EQ(config.rope_base, 1e6);
  EXPECT_EQ(config.sliding_rope_base, 1e4);
  EXPECT_EQ(config.attention_softcap, 0.0f);
  EXPECT_EQ(config.final_softcap, 0.0f);
  EXPECT_FLOAT_EQ(config.attention_scale, 1.0f / 8.0f);
  EXPECT_FLOAT_EQ(config.embedding_scale, 16.0f);
  const auto& weights = model->weights();
  EXPECT_DOUBLE_EQ(weights.rope_frequencies(false)[1], std::pow(1e6, -2.0 / 64));
  EXPECT_DOUBLE_EQ(weights.rope_frequencies(true)[1], std::pow(1e4, -2.0 / 64));
}

// The keys a converted Gemma 3 4B+ file or another pattern may carry: linear rope scaling
// applies to the global layers only (llama.cpp's rope_freq_scale_train_swa stays 1), a
// stored local base replaces 10000, a stored period moves the global layers, and a stored
// attention soft-cap is ignored.
TEST(Gemma3Hyperparameters, ScalingOnGlobalLayersOnlyAndStoredPatternAndLocalBase) {
  const auto bytes = generate_gemma3(kGemma3F32);
  const auto original = gguf::GgufFile::from_buffer(bytes, "gemma3.gguf");
  auto writer = gguf::GgufWriter::copy_of(*original);
  writer.set_string("gemma3.rope.scaling.type", "linear");
  writer.set_float32("gemma3.rope.scaling.factor", 8.0f);
  writer.set_float32("gemma3.rope.freq_base_swa", 5000.0f);
  writer.set_uint32("gemma3.attention.sliding_window_pattern", 3);
  writer.set_float32("gemma3.attn_logit_softcapping", 50.0f);
  writer.set_float32("gemma3.final_logit_softcapping", 30.0f);
  const auto patched_bytes = writer.to_bytes();
  const auto model =
      model::Model::from_file(gguf::GgufFile::from_buffer(patched_bytes, "gemma3-scaled.gguf"));
  const auto& config = model->config();
  EXPECT_EQ(config.layer_is_sliding, (std::vector<bool>{true, true, false, true, true, false}));
  EXPECT_EQ(config.attention_softcap, 0.0f);
  EXPECT_EQ(config.final_softcap, 30.0f);
  const auto& weights = model->weights();
  EXPECT_DOUBLE_EQ(weights.rope_frequencies(false)[1], std::pow(1e6, -2.0 / 64) / 8);
  EXPECT_DOUBLE_EQ(weights.rope_frequencies(true)[1], std::pow(5000.0, -2.0 / 64));
}

// Gemma 3 27B (62 layers) scales q·k by 1/√(n_embd / n_head) = 1/√168, not by its heads'
// 1/√128; GGUF files carry no key for it, so llama.cpp recognises the depth. Here heads of 16
// in a 64-wide, 2-head model: 1/√32 at 62 layers, 1/√16 at 61.
TEST(Gemma3Hyperparameters, SixtyTwoLayersScaleAttentionByEmbeddingPerHead) {
  for (const uint32_t layers : {62u, 61u}) {
    model::synthetic::SyntheticOptions options;
    options.shape = model::synthetic::custom_shape("gemma3");
    options.shape.embedding = 64;
    options.shape.layers = layers;
    options.shape.heads = 2;
    options.shape.kv_heads = 1;
    options.shape.head_size = 16;
    options.shape.feed_forward = 64;
    options.shape.vocab = 320;
    options.recipe = *model::synthetic::parse_type_recipe("f32");
    options.threads = 1;
    const auto bytes = model::synthetic::SyntheticModel::generate(options).writer().to_bytes();
    const auto model = model::Model::from_file(gguf::GgufFile::from_buffer(bytes, "deep.gguf"));
    EXPECT_FLOAT_EQ(model->config().attention_scale, layers == 62 ? 1.0f / std::sqrt(32.0f) : 0.25f)
        << layers << " layers";
  }
}

}  // namespace
}  // namespace weft
