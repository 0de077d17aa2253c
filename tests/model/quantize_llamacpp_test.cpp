// weft's quantisation against llama-quantize: the per-tensor types of every file type for six
// models (tests/data/quantize/llamacpp-types.tsv, read from llama-quantize's output files),
// and whole output files byte for byte against the fixtures llama-quantize made.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "model/quantize/model_quantizer.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/quantize_type_tables.hpp"
#include "support/shared_files.hpp"
#include "weft/error.hpp"

namespace weft::model::quantize {
namespace {

// (model, file type) → llama-quantize's table.
std::map<std::pair<std::string, std::string>, test::QuantizeTypeTable> llamacpp_tables() {
  return test::read_quantize_type_tables(std::string(WEFT_SOURCE_DIR) +
                                         "/tests/data/quantize/llamacpp-types.tsv");
}

struct InputModel {
  std::vector<std::byte> bytes;  // a generated model's file
  std::shared_ptr<const gguf::GgufFile> file;
};

// The F32 models llama-quantize was given: mkmodel files (tests/data/quantize/README.md has
// their commands) and shared files.
InputModel input_model(const std::string& name) {
  InputModel input;
  if (name == "mk16" || name == "mk9") {
    synthetic::SyntheticOptions options;
    options.shape = synthetic::custom_shape("llama");
    const bool sixteen = name == "mk16";
    options.shape.embedding = sixteen ? 256 : 288;
    options.shape.layers = sixteen ? 16 : 9;
    options.shape.heads = 4;
    options.shape.kv_heads = sixteen ? 1 : 2;
    options.shape.feed_forward = sixteen ? 512 : 544;
    options.shape.vocab = 512;
    options.shape.context = 2048;
    options.shape.tied_embeddings = !sixteen;
    options.recipe = *synthetic::parse_type_recipe("f32");
    options.seed = sixteen ? 7 : 8;
    options.threads = 2;
    input.bytes = synthetic::SyntheticModel::generate(options).writer().to_bytes();
    input.file = gguf::GgufFile::from_buffer(input.bytes, name);
    return input;
  }
  const std::string path = name == "stories260K" ? "models/stories260K/stories260K-f32.gguf"
                                                 : "fixtures/" + name + "/" + name + "-f32.gguf";
  input.file = gguf::GgufFile::open(test::shared_path(path).string());
  return input;
}

TEST(QuantizeLlamaCpp, TypeTablesCoverSixModelsAndThirteenFileTypes) {
  const auto tables = llamacpp_tables();
  EXPECT_EQ(tables.size(), 6u * 13u);
}

TEST(QuantizeLlamaCpp, EveryTensorGetsLlamaQuantizesType) {
  std::map<std::string, InputModel> inputs;
  for (const auto& [key, table] : llamacpp_tables()) {
    const auto& [model, file_type_name] = key;
    SCOPED_TRACE(model + " " + file_type_name);
    if (!inputs.count(model)) inputs.emplace(model, input_model(model));
    const auto file_type = parse_file_type(file_type_name);
    ASSERT_TRUE(file_type);
    const auto plan = plan_file_types(*inputs.at(model).file, *file_type, false);
    ASSERT_EQ(plan.size(), table.size());
    for (size_t i = 0; i < plan.size(); ++i) {
      EXPECT_EQ(plan[i].name, table[i].first) << "position " << i;
      EXPECT_EQ(tensor::traits_of(plan[i].to).name, table[i].second) << plan[i].name;
    }
  }
}

std::vector<std::byte> quantized_bytes(const gguf::GgufFile& input, const std::string& type,
                                       bool pure) {
  const auto path = std::filesystem::temp_directory_path() /
                    ("weft-quantize-test-" + std::to_string(::getpid()) + ".gguf");
  QuantizeOptions options{*parse_file_type(type), pure, false, 2, {}};
  quantize_model(input, path.string(), options);
  auto bytes = test::read_file_bytes(path);
  std::filesystem::remove(path);
  return bytes;
}

struct QuantizeFixtureCase {
  std::string input;     // under ../shared
  std::string expected;  // llama-quantize's file for it
  std::string type;
  bool pure;
};

// The fixtures' llama-quantize commands (../shared/fixtures/README.md §3).
std::vector<QuantizeFixtureCase> fixture_cases() {
  std::vector<QuantizeFixtureCase> cases;
  const std::string llama = "fixtures/llama/llama-";
  for (const auto& [variant, type, pure] :
       std::vector<std::tuple<std::string, std::string, bool>>{{"f16", "F16", false},
                                                               {"bf16", "BF16", false},
                                                               {"q8_0", "Q8_0", true},
                                                               {"q4_0", "Q4_0", true},
                                                               {"q4_1", "Q4_1", true},
                                                               {"q5_0", "Q5_0", true},
                                                               {"q5_1", "Q5_1", true},
                                                               {"q2_k", "Q2_K", true},
                                                               {"q3_k", "Q3_K_M", true},
                                                               {"q4_k", "Q4_K_M", true},
                                                               {"q5_k", "Q5_K_M", true},
                                                               {"q6_k", "Q6_K", true},
                                                               {"q4_k_m", "Q4_K_M", false}}) {
    cases.push_back({llama + "f32.gguf", llama + variant + ".gguf", type, pure});
  }
  for (const std::string arch : {"qwen2", "qwen3", "phi3", "gemma2"}) {
    const std::string base = "fixtures/" + arch + "/" + arch + "-";
    cases.push_back({base + "f32.gguf", base + "q8_0.gguf", "Q8_0", true});
    cases.push_back({base + "f32.gguf", base + "q4_k_m.gguf", "Q4_K_M", false});
  }
  cases.push_back(
      {"fixtures/qwen2/qwen2-f32.gguf", "fixtures/qwen2/qwen2-q4_0.gguf", "Q4_0", true});
  const std::string stories = "models/stories260K/stories260K-";
  cases.push_back({stories + "f32.gguf", stories + "f16.gguf", "F16", false});
  cases.push_back({stories + "f32.gguf", stories + "q6_k-fallback.gguf", "Q6_K", false});
  cases.push_back({stories + "f32.gguf", stories + "q4_k_m-fallback.gguf", "Q4_K_M", false});
  return cases;
}

TEST(QuantizeLlamaCpp, OutputFilesEqualLlamaQuantizesByteForByte) {
  for (const auto& c : fixture_cases()) {
    SCOPED_TRACE(c.expected + " (" + c.type + (c.pure ? " --pure)" : ")"));
    const auto input = gguf::GgufFile::open(test::shared_path(c.input).string());
    const auto ours = quantized_bytes(*input, c.type, c.pure);
    const auto theirs = test::read_file_bytes(test::shared_path(c.expected));
    ASSERT_EQ(ours.size(), theirs.size());
    EXPECT_TRUE(ours == theirs);
  }
}

TEST(QuantizeLlamaCpp, QuantisedOutputLoadsAndGenerates) {
  const auto input =
      gguf::GgufFile::open(test::shared_path("fixtures/llama/llama-f32.gguf").string());
  const auto bytes = quantized_bytes(*input, "Q4_K_M", false);
  auto model = Model::from_file(gguf::GgufFile::from_buffer(bytes, "q4_k_m"));
  runtime::Engine engine(model, {.threads = 2});
  auto sequence = engine.new_sequence();
  const std::vector<int32_t> prompt = {1, 403, 407, 261};
  const auto result = runtime::evaluate_prompt(engine, sequence, prompt, 8);
  ASSERT_EQ(result.greedy.size(), 8u);
  for (int32_t token : result.greedy) EXPECT_LT(token, model->config().n_vocab);
}

TEST(QuantizeLlamaCpp, RefusesToRequantiseUnlessAllowed) {
  const auto input =
      gguf::GgufFile::open(test::shared_path("fixtures/llama/llama-q8_0.gguf").string());
  EXPECT_THROW(quantized_bytes(*input, "Q4_0", true), Error);
  // Dequantised and quantised again: every matrix Q4_0.
  const auto path = std::filesystem::temp_directory_path() / "weft-requantize-test.gguf";
  quantize_model(*input, path.string(), {*parse_file_type("Q4_0"), true, true, 2, {}});
  const auto output = gguf::GgufFile::open(path.string());
  for (const auto& tensor : output->tensors()) {
    EXPECT_EQ(tensor.type,
              tensor.shape.size() > 1 ? tensor::ElementType::Q4_0 : tensor::ElementType::F32)
        << tensor.name;
  }
  std::filesystem::remove(path);
}

TEST(QuantizeLlamaCpp, FileTypeNames) {
  EXPECT_EQ(parse_file_type("q4_k_m")->id, 15u);
  EXPECT_EQ(parse_file_type("Q4_K")->name, "Q4_K_M");  // as llama-quantize reads it
  EXPECT_EQ(parse_file_type("Q6_K")->id, 18u);
  EXPECT_EQ(parse_file_type("bf16")->id, 32u);
  EXPECT_FALSE(parse_file_type("IQ2_XXS"));
  EXPECT_FALSE(parse_file_type("Q7_K"));
}

}  // namespace
}  // namespace weft::model::quantize
