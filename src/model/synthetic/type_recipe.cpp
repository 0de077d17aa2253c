#include "model/synthetic/type_recipe.hpp"

#include <algorithm>
#include <array>
#include <cctype>

#include "model/quantize/tensor_type_rule.hpp"

namespace weft::model::synthetic {
namespace {

using tensor::ElementType;

// llama_ftype values that llama.cpp writes as general.file_type.
const std::array kRecipes = {
    TypeRecipe{"f32", ElementType::F32, false, 0},
    TypeRecipe{"f16", ElementType::F16, false, 1},
    TypeRecipe{"bf16", ElementType::BF16, false, 32},
    TypeRecipe{"q8_0", ElementType::Q8_0, false, 7},
    TypeRecipe{"q4_0", ElementType::Q4_0, false, 2},
    TypeRecipe{"q4_1", ElementType::Q4_1, false, 3},
    TypeRecipe{"q5_0", ElementType::Q5_0, false, 8},
    TypeRecipe{"q5_1", ElementType::Q5_1, false, 9},
    TypeRecipe{"q2_k", ElementType::Q2_K, false, 10},
    TypeRecipe{"q3_k", ElementType::Q3_K, false, 11},
    TypeRecipe{"q4_k", ElementType::Q4_K, false, 14},
    TypeRecipe{"q5_k", ElementType::Q5_K, false, 16},
    TypeRecipe{"q6_k", ElementType::Q6_K, false, 18},
    TypeRecipe{"iq4_nl", ElementType::IQ4_NL, false, 25},
    TypeRecipe{"iq4_xs", ElementType::IQ4_XS, false, 30},
    TypeRecipe{"q4_k_m", ElementType::Q4_K, true, 15},
    TypeRecipe{"q5_k_m", ElementType::Q5_K, true, 17},
    TypeRecipe{"mxfp4_moe", ElementType::MXFP4, true, 38},
};

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

}  // namespace

std::optional<TypeRecipe> parse_type_recipe(std::string_view name) {
  const std::string wanted = lower(name);
  for (const auto& recipe : kRecipes) {
    if (recipe.name == wanted) return recipe;
  }
  return std::nullopt;
}

std::vector<std::string> type_recipe_names() {
  std::vector<std::string> names;
  for (const auto& recipe : kRecipes) names.push_back(recipe.name);
  return names;
}

bool more_bits(uint32_t layer, uint32_t layers) {
  return quantize::uses_more_bits(static_cast<int32_t>(layer), static_cast<int32_t>(layers));
}

namespace {

quantize::TensorCategory category_of_role(TensorRole role) {
  using quantize::TensorCategory;
  switch (role) {
    case TensorRole::token_embedding:
      return TensorCategory::token_embedding;
    case TensorRole::output:
      return TensorCategory::output;
    case TensorRole::attn_q:
      return TensorCategory::attn_q;
    case TensorRole::attn_k:
      return TensorCategory::attn_k;
    case TensorRole::attn_v:
    case TensorRole::attn_qkv:
      return TensorCategory::attn_v;
    case TensorRole::attn_output:
      return TensorCategory::attn_output;
    case TensorRole::ffn_gate:
      return TensorCategory::ffn_gate;
    case TensorRole::ffn_up:
      return TensorCategory::ffn_up;
    case TensorRole::ffn_down:
      return TensorCategory::ffn_down;
    default:
      return TensorCategory::other;
  }
}

}  // namespace

ElementType choose_type(const TypeRecipe& recipe, TensorRole role, uint32_t layer, uint32_t layers,
                        bool tied_embeddings, uint64_t row_length, uint32_t experts, bool stacked) {
  if (role == TensorRole::norm || role == TensorRole::bias || role == TensorRole::router)
    return ElementType::F32;
  // A synthetic model has one value matrix and one ffn_down a layer, so llama-quantize's
  // running indices over them are the layer number.
  const quantize::TensorPlace place{category_of_role(role), static_cast<int32_t>(layer),
                                    static_cast<int32_t>(layer), row_length, stacked};
  quantize::ModelFacts model;
  model.layers = static_cast<int32_t>(layers);
  model.value_matrices = static_cast<int32_t>(layers);
  model.tied_embeddings = tied_embeddings;
  model.experts = experts;
  return quantize::mixture_type(*quantize::file_type_of_id(recipe.file_type), !recipe.mixture,
                                place, model);
}

}  // namespace weft::model::synthetic
