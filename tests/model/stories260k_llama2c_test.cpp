// stories260K (the GGUF conversion of llama2.c's checkpoint) against Karpathy's run.c:
// greedy continuations token for token and the logits run.c printed for positions 0..3
// (../shared/models/stories260K/reference-llama2c/README.txt).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "model/model.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "support/pool_accounting.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

struct Llama2cReference {
  std::vector<int32_t> prompt;
  std::vector<int32_t> sequence_after_position0;  // forced prompt tokens, then greedy picks
  struct Logits {
    int64_t position = 0;
    std::vector<float> first8;
    int32_t argmax = 0;
    float max = 0;
  };
  std::vector<Logits> logits;
};

std::vector<int32_t> ids_after_colon(const std::string& line) {
  std::istringstream in(line.substr(line.rfind(':') + 1));
  std::vector<int32_t> ids;
  int32_t id = 0;
  while (in >> id) ids.push_back(id);
  return ids;
}

// Parses the refN.tokens.txt format described in the README.
Llama2cReference read_reference(const std::string& name) {
  std::ifstream in(
      test::shared_path("models/stories260K/reference-llama2c/" + name + ".tokens.txt"));
  EXPECT_TRUE(in.good()) << name;
  Llama2cReference reference;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("prompt_tokens:", 0) == 0) {
      reference.prompt = ids_after_colon(line);
    } else if (line.rfind("sequence_after_pos0", 0) == 0) {
      reference.sequence_after_position0 = ids_after_colon(line);
    } else if (line.rfind("logits pos=", 0) == 0) {
      Llama2cReference::Logits logits;
      std::istringstream fields(line);
      std::string word;
      while (fields >> word) {
        if (word.rfind("pos=", 0) == 0) logits.position = std::stoll(word.substr(4));
        if (word == "first8:") {
          for (int i = 0; i < 8; ++i) {
            float value = 0;
            fields >> value;
            logits.first8.push_back(value);
          }
        }
        if (word.rfind("argmax=", 0) == 0) logits.argmax = std::stoi(word.substr(7));
        if (word.rfind("max=", 0) == 0) logits.max = std::stof(word.substr(4));
      }
      reference.logits.push_back(logits);
    }
  }
  return reference;
}

class Stories260kLlama2c : public ::testing::TestWithParam<std::string> {};

TEST_P(Stories260kLlama2c, GreedyContinuationAndLogitsMatchRunC) {
  const auto reference = read_reference(GetParam());
  ASSERT_FALSE(reference.prompt.empty());
  ASSERT_GE(reference.sequence_after_position0.size(), reference.prompt.size());
  // run.c forces the prompt tokens after position 0; everything after them is its greedy pick.
  const std::vector<int32_t> expected(reference.sequence_after_position0.begin() +
                                          static_cast<int64_t>(reference.prompt.size()) - 1,
                                      reference.sequence_after_position0.end());

  auto model =
      model::Model::load(test::shared_path("models/stories260K/stories260K-f32.gguf").string(),
                         {.context_length = 512});
  runtime::EngineOptions options;
  options.threads = 2;
  options.kernels = tensor::KernelChoice::reference;
  options.kv_type = tensor::ElementType::F32;
  runtime::Engine engine(model, options);
  auto sequence = engine.new_sequence();
  const auto result = runtime::evaluate_prompt(engine, sequence, reference.prompt,
                                               static_cast<int64_t>(expected.size()));
  EXPECT_EQ(result.greedy, expected);
  sequence.release();
  test::expect_pool_idle(engine.pages());

  // Positions 0..3: the prompt rows, then the first greedy steps fed back one at a time.
  const auto n_vocab = static_cast<size_t>(result.n_vocab);
  for (const auto& logits : reference.logits) {
    const auto position = static_cast<size_t>(logits.position);
    const float* row =
        position < reference.prompt.size()
            ? result.prompt_logits.data() + position * n_vocab
            : result.greedy_logits.data() + (position - reference.prompt.size() + 1) * n_vocab;
    for (size_t i = 0; i < 8; ++i)
      EXPECT_NEAR(row[i], logits.first8[i], 1e-4) << "position " << position;
    const std::span<const float> whole(row, n_vocab);
    EXPECT_EQ(runtime::argmax_token(whole), logits.argmax);
    EXPECT_NEAR(whole[static_cast<size_t>(logits.argmax)], logits.max, 1e-4);
  }
}

INSTANTIATE_TEST_SUITE_P(References, Stories260kLlama2c,
                         ::testing::Values("ref1", "ref2", "ref3", "ref4"));

}  // namespace
}  // namespace weft
