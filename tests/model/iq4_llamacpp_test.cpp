// IQ4_NL and IQ4_XS against llama.cpp (tests/data/iq4/README.md): weft quantize writes the
// very files llama-quantize wrote from the llama fixture (their SHA-256s), and each kernel
// set computes llama.cpp's logits from them on the fixture prompt.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "model/quantize/model_quantizer.hpp"
#include "runtime/engine.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/fixture_evaluation.hpp"
#include "support/reference_logits.hpp"
#include "support/sha256_digest.hpp"
#include "support/shared_files.hpp"
#include "tensor/cpu_features.hpp"

namespace weft {
namespace {

std::filesystem::path data_dir() {
  return std::filesystem::path(WEFT_SOURCE_DIR) / "tests" / "data" / "iq4";
}

// File name → SHA-256 of llama-quantize's output, from SHA256SUMS (sha256sum's format).
std::map<std::string, std::string> llamacpp_digests() {
  std::ifstream in(data_dir() / "SHA256SUMS");
  std::map<std::string, std::string> digests;
  std::string digest, name;
  while (in >> digest >> name) digests[name] = digest;
  return digests;
}

std::vector<std::byte> quantize_llama_fixture(const std::string& type, bool pure) {
  const auto input =
      gguf::GgufFile::open(test::shared_path("fixtures/llama/llama-f32.gguf").string());
  const auto path = std::filesystem::temp_directory_path() /
                    ("weft-iq4-test-" + std::to_string(::getpid()) + ".gguf");
  model::quantize::quantize_model(*input, path.string(),
                                  {*model::quantize::parse_file_type(type), pure, false, 2, {}});
  auto bytes = test::read_file_bytes(path);
  std::filesystem::remove(path);
  return bytes;
}

struct Iq4File {
  std::string name;  // as in SHA256SUMS and the reference files: llama-iq4_nl, …
  std::string type;  // llama-quantize's file type
  bool pure;
};

const Iq4File kFiles[] = {{"llama-iq4_nl", "IQ4_NL", true},
                          {"llama-iq4_xs", "IQ4_XS", true},
                          {"llama-iq4_nl-mix", "IQ4_NL", false},
                          {"llama-iq4_xs-mix", "IQ4_XS", false}};

class Iq4LlamaCpp : public ::testing::TestWithParam<Iq4File> {};

TEST_P(Iq4LlamaCpp, QuantizeWritesLlamaQuantizesFile) {
  const auto& file = GetParam();
  const auto digests = llamacpp_digests();
  ASSERT_EQ(digests.count(file.name + ".gguf"), 1u);
  EXPECT_EQ(test::sha256_hex(quantize_llama_fixture(file.type, file.pure)),
            digests.at(file.name + ".gguf"));
}

// llama.cpp (an AVX-512 build, GGML's IQ4_NL weights repacked) sums in orders the
// rounded-activations kernels do not all follow, but it rounds every operand as they do, so
// the logits agree to float32 precision; so do the fast kernels, which round the same way
// where the CPU has AVX2 (without it they are the reference ones). The reference kernels
// multiply float activations and are held to the distance llama.cpp itself keeps from the
// float64 references on the fixtures' 4-bit files (fixtures README §6).
double tolerance(tensor::KernelChoice kernels) {
  constexpr double kFloat32Precision = 1e-5;
  constexpr double kUnroundedActivations = 0.35;
  switch (kernels) {
    case tensor::KernelChoice::rounded_activations:
      return kFloat32Precision;
    case tensor::KernelChoice::fast:
      return tensor::cpu_features().avx2 ? kFloat32Precision : kUnroundedActivations;
    case tensor::KernelChoice::reference:
      break;
  }
  return kUnroundedActivations;
}

TEST_P(Iq4LlamaCpp, EveryKernelSetComputesLlamaCppsLogits) {
  const auto& file = GetParam();
  const auto bytes = quantize_llama_fixture(file.type, file.pure);
  auto model = model::Model::from_file(gguf::GgufFile::from_buffer(bytes, file.name));
  const auto prompt = test::read_token_ids(
      test::shared_path("fixtures/llama/reference/llama-f32.tokens.txt").string());
  const auto expected = test::read_f32_file((data_dir() / (file.name + ".logits.f32")).string());
  for (auto kernels : {tensor::KernelChoice::reference, tensor::KernelChoice::rounded_activations,
                       tensor::KernelChoice::fast}) {
    runtime::Engine engine(model, test::reference_comparison_options(kernels));
    auto sequence = engine.new_sequence();
    const auto result = runtime::evaluate_prompt(engine, sequence, prompt, 0);
    const auto difference = test::compare_logits(result.prompt_logits, expected);
    std::printf("[ measured ] %s %s vs llama.cpp: max abs %.3e, mean abs %.3e\n", file.name.c_str(),
                std::string(tensor::to_string(kernels)).c_str(), difference.max_abs,
                difference.mean_abs);
    EXPECT_LE(difference.max_abs, tolerance(kernels)) << tensor::to_string(kernels);
  }
}

INSTANTIATE_TEST_SUITE_P(LlamaFixture, Iq4LlamaCpp, ::testing::ValuesIn(kFiles),
                         [](const auto& info) {
                           std::string name = info.param.name;
                           for (char& c : name) {
                             if (c == '-') c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace weft
