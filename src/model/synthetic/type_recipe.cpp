#include "model/synthetic/type_recipe.hpp"

#include <algorithm>
#include <array>
#include <cctype>

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
    TypeRecipe{"q4_k_m", ElementType::Q4_K, true, 15},
    TypeRecipe{"q5_k_m", ElementType::Q5_K, true, 17},
};

std::string lower(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return result;
}

bool fits(ElementType type, uint64_t row_length) {
  return row_length % tensor::traits_of(type).block_size == 0;
}

ElementType fallback(ElementType type) {
  switch (type) {
    case ElementType::Q2_K:
    case ElementType::Q3_K:
      return ElementType::Q4_0;
    case ElementType::Q4_K:
      return ElementType::Q5_0;
    case ElementType::Q5_K:
      return ElementType::Q5_1;
    case ElementType::Q6_K:
      return ElementType::Q8_0;
    default:
      return ElementType::F16;
  }
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
  const auto i = static_cast<int64_t>(layer);
  const auto n = static_cast<int64_t>(layers);
  return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2;
}

ElementType choose_type(const TypeRecipe& recipe, TensorRole role, uint32_t layer, uint32_t layers,
                        bool tied_embeddings, uint64_t row_length) {
  if (role == TensorRole::norm || role == TensorRole::bias) return ElementType::F32;
  const bool is_quantised = tensor::traits_of(recipe.base).block_size > 1;
  if (!is_quantised) return recipe.base;
  const bool output_matrix =
      role == TensorRole::output || (tied_embeddings && role == TensorRole::token_embedding);
  ElementType type = recipe.base;
  if (recipe.mixture) {
    const bool sensitive =
        role == TensorRole::attn_v || role == TensorRole::attn_qkv || role == TensorRole::ffn_down;
    if (output_matrix || (sensitive && more_bits(layer, layers))) type = ElementType::Q6_K;
  }
  if (recipe.mixture && output_matrix && !fits(type, row_length)) return ElementType::Q8_0;
  while (!fits(type, row_length)) type = fallback(type);
  return type;
}

}  // namespace weft::model::synthetic
