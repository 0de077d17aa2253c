#include "support/gpt_oss_model.hpp"

#include "model/synthetic/synthetic_model.hpp"
#include "model/synthetic/type_recipe.hpp"

namespace weft::test {

std::vector<std::byte> gpt_oss_test_model(const std::string& type) {
  model::synthetic::SyntheticOptions options;
  options.shape = model::synthetic::custom_shape("gpt-oss");
  options.shape.embedding = 256;
  options.shape.layers = 2;
  options.shape.heads = 4;
  options.shape.kv_heads = 2;
  options.shape.feed_forward = 512;
  options.shape.vocab = 512;
  options.shape.context = 256;
  options.shape.sliding_window = 16;
  options.shape.experts = 4;
  options.shape.experts_used = 2;
  options.shape.expert_feed_forward = 128;
  options.recipe = *model::synthetic::parse_type_recipe(type);
  options.seed = 42;
  options.threads = 2;
  return model::synthetic::SyntheticModel::generate(options).writer().to_bytes();
}

}  // namespace weft::test
