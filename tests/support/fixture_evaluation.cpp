#include "support/fixture_evaluation.hpp"

#include <cctype>

#include "model/model.hpp"

namespace weft::test {

runtime::PromptEvaluation evaluate_fixture_prompt(const FixtureModel& fixture,
                                                  tensor::KernelChoice kernels,
                                                  tensor::ElementType kv_type,
                                                  int64_t greedy_tokens) {
  auto model =
      model::Model::load(fixture.gguf.string(), {.context_length = fixture.context_length()});
  runtime::EngineOptions options;
  options.threads = 2;
  options.kernels = kernels;
  options.kv_type = kv_type;
  runtime::Engine engine(model, options);
  auto sequence = engine.new_sequence();
  return runtime::evaluate_prompt(engine, sequence, read_token_ids(fixture.reference("tokens.txt")),
                                  greedy_tokens);
}

runtime::EngineOptions reference_comparison_options(tensor::KernelChoice kernels) {
  runtime::EngineOptions options;
  options.threads = 2;
  options.kernels = kernels;
  options.kv_type = tensor::ElementType::F32;
  return options;
}

std::string fixture_test_name(const ::testing::TestParamInfo<FixtureModel>& info) {
  std::string name = info.param.name();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

}  // namespace weft::test
