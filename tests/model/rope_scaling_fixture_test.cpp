// Rope scaling as the GGUF says, against llama.cpp: the llama F32 fixture (normal rope, base
// 10000, a 256-token context) with `llama.rope.scaling.*` keys added — linear with factor 4,
// and YaRN with factor 4 over an original context of 64, so that most of the 200 positions lie
// past the length the scaling stretches from — evaluated on the fixture's 200-token sequence
// and compared with the logits llama.cpp gave for the same patched files
// (tests/data/rope-scaling/README.md: the commands). The patched bytes are made here with the
// same writer and checked against the sha256 of the files llama.cpp read.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "model/model.hpp"
#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/fixture_evaluation.hpp"
#include "support/reference_logits.hpp"
#include "support/sha256_digest.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

struct RopeScalingCase {
  std::string name;  // the reference files' prefix in tests/data/rope-scaling
  std::string type;  // llama.rope.scaling.type
  float factor = 1;
  uint32_t original_context = 0;  // 0: the key is not written
  std::string sha256;             // of the patched file llama.cpp read
};

const std::vector<RopeScalingCase>& rope_scaling_cases() {
  static const std::vector<RopeScalingCase> cases = {
      {"llama-f32-linear4", "linear", 4.0F, 0,
       "d5475158cea58e22c6f9d03c770a203eb89c8455e08ad7a5fba3519733760ebd"},
      {"llama-f32-yarn4", "yarn", 4.0F, 64,
       "2e8defff463d5d606f360035d2996af7bf5d23736fe70458b8b489fb7bb65948"},
  };
  return cases;
}

std::filesystem::path rope_scaling_data_path(const std::string& file) {
  return std::filesystem::path(WEFT_SOURCE_DIR) / "tests/data/rope-scaling" / file;
}

std::vector<std::byte> patched_fixture_bytes(const gguf::GgufFile& fixture,
                                             const RopeScalingCase& scaling) {
  auto writer = gguf::GgufWriter::copy_of(fixture);
  writer.set_string("llama.rope.scaling.type", scaling.type);
  writer.set_float32("llama.rope.scaling.factor", scaling.factor);
  if (scaling.original_context != 0)
    writer.set_uint32("llama.rope.scaling.original_context_length", scaling.original_context);
  return writer.to_bytes();
}

std::vector<float> sequence_logits(std::shared_ptr<const gguf::GgufFile> file,
                                   const std::vector<int32_t>& tokens,
                                   tensor::KernelChoice kernels) {
  auto model = model::Model::from_file(std::move(file), {.context_length = 256});
  runtime::Engine engine(model, test::reference_comparison_options(kernels));
  auto sequence = engine.new_sequence();
  return runtime::evaluate_prompt(engine, sequence, tokens, 0).prompt_logits;
}

class RopeScalingFixture : public ::testing::TestWithParam<RopeScalingCase> {};

TEST_P(RopeScalingFixture, LongSequenceMatchesLlamaCppOnThePatchedFile) {
  const auto& scaling = GetParam();
  const auto fixture =
      gguf::GgufFile::open(test::shared_path("fixtures/llama/llama-f32.gguf").string());
  ASSERT_FALSE(fixture->get_string("llama.rope.scaling.type").has_value())
      << "the fixture is expected to have no rope scaling of its own";
  const auto bytes = patched_fixture_bytes(*fixture, scaling);
  ASSERT_EQ(test::sha256_hex(bytes), scaling.sha256)
      << "the patched file is no longer the one the references were made from";
  const auto patched = gguf::GgufFile::from_buffer(bytes, scaling.name + ".gguf");

  const auto tokens =
      test::read_token_ids(test::shared_path("fixtures/llama/reference/llama-f32.long.tokens.txt"));
  ASSERT_EQ(tokens.size(), 200u);
  const auto expected =
      test::read_f32_file(rope_scaling_data_path(scaling.name + ".long.logits.f32"));
  const auto unscaled =
      test::read_f32_file(test::shared_path("fixtures/llama/reference/llama-f32.long.logits.f32"));

  for (auto kernels : {tensor::KernelChoice::reference, tensor::KernelChoice::fast}) {
    const char* kernel_name = kernels == tensor::KernelChoice::fast ? "fast" : "reference";
    SCOPED_TRACE(kernel_name);
    const auto logits = sequence_logits(patched, tokens, kernels);
    const auto difference = test::compare_logits(logits, expected);
    const auto from_unscaled = test::compare_logits(logits, unscaled);
    std::printf(
        "[ measured ] %s, %s kernels: vs llama.cpp max abs %.3e (mean %.3e); "
        "vs the unscaled model's llama.cpp logits max abs %.3e\n",
        scaling.name.c_str(), kernel_name, difference.max_abs, difference.mean_abs,
        from_unscaled.max_abs);
    // The fixture's own 200-token sequence holds to 5e-4 (fixture_exactness_test.cpp).
    EXPECT_LE(difference.max_abs, 5e-4) << "worst at row " << difference.worst_index / 512
                                        << " token " << difference.worst_index % 512;
    // The keys matter: the scaled model is far from the unscaled one.
    EXPECT_GT(from_unscaled.max_abs, 100 * difference.max_abs);
  }
}

INSTANTIATE_TEST_SUITE_P(LlamaFixture, RopeScalingFixture,
                         ::testing::ValuesIn(rope_scaling_cases()), [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

}  // namespace
}  // namespace weft
