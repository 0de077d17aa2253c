// Which element type each tensor of a synthetic model gets for a requested file type:
// uniform types, and llama.cpp-style mixtures (q4_k_m, q5_k_m).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/formats/element_type.hpp"

namespace weft::model::synthetic {

enum class TensorRole {
  token_embedding,
  output,
  attn_q,
  attn_k,
  attn_v,
  attn_qkv,  // phi3's fused q, k, v
  attn_output,
  ffn_gate,
  ffn_up,
  ffn_down,
  router,  // ffn_gate_inp: kept F32, as llama-quantize keeps it
  norm,
  bias
};

struct TypeRecipe {
  std::string name;          // as given: "q4_k_m", "q8_0", ...
  tensor::ElementType base;  // type of most matrices
  bool mixture = false;      // llama.cpp's _M rule (see choose_type)
  uint32_t file_type = 0;    // general.file_type (llama_ftype)
};

// f32 f16 bf16 q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q3_k q4_k q5_k q6_k iq4_nl iq4_xs q4_k_m q5_k_m
// (case-insensitive); nullopt for anything else.
std::optional<TypeRecipe> parse_type_recipe(std::string_view name);
std::vector<std::string> type_recipe_names();

// The type of one tensor: llama-quantize's rule (model/quantize/tensor_type_rule.hpp) for the
// recipe's file type, the uniform recipes as --pure. 1-D tensors (norms, biases) stay F32.
// For the mixtures on a dense model: the output matrix (the token embedding when tied) is
// Q6_K; attn_v (phi3: attn_qkv) and ffn_down are Q6_K in layers where more_bits(layer,
// layers); everything else is the base type. A type whose block does not divide the row
// length falls back (mixtures: output matrix→Q8_0; otherwise Q2_K/Q3_K→Q4_0, Q4_K→Q5_0,
// Q5_K→Q5_1, Q6_K→Q8_0, then F16). `experts`: the expert count of a mixture-of-experts model,
// for llama-quantize's rule for 8 experts (quantize::mixture_type); `stacked`: a 3-D tensor
// of the experts' matrices (mxfp4_moe makes those MXFP4, every other matrix Q8_0).
tensor::ElementType choose_type(const TypeRecipe& recipe, TensorRole role, uint32_t layer,
                                uint32_t layers, bool tied_embeddings, uint64_t row_length,
                                uint32_t experts = 0, bool stacked = false);

// llama.cpp's "use more bits" layers: the first and last eighth, and every third between.
bool more_bits(uint32_t layer, uint32_t layers);

}  // namespace weft::model::synthetic
