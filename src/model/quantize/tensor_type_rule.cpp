#include "model/quantize/tensor_type_rule.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>

namespace weft::model::quantize {
namespace {

using tensor::ElementType;

// llama_ftype ids as llama.cpp writes them in general.file_type.
const std::array kFileTypes = {
    FileType{"F32", 0, ElementType::F32},        FileType{"F16", 1, ElementType::F16},
    FileType{"BF16", 32, ElementType::BF16},     FileType{"Q4_0", 2, ElementType::Q4_0},
    FileType{"Q4_1", 3, ElementType::Q4_1},      FileType{"Q5_0", 8, ElementType::Q5_0},
    FileType{"Q5_1", 9, ElementType::Q5_1},      FileType{"Q8_0", 7, ElementType::Q8_0},
    FileType{"Q2_K", 10, ElementType::Q2_K},     FileType{"Q3_K_S", 11, ElementType::Q3_K},
    FileType{"Q3_K_M", 12, ElementType::Q3_K},   FileType{"Q3_K_L", 13, ElementType::Q3_K},
    FileType{"Q4_K_S", 14, ElementType::Q4_K},   FileType{"Q4_K_M", 15, ElementType::Q4_K},
    FileType{"Q5_K_S", 16, ElementType::Q5_K},   FileType{"Q5_K_M", 17, ElementType::Q5_K},
    FileType{"Q6_K", 18, ElementType::Q6_K},     FileType{"IQ4_NL", 25, ElementType::IQ4_NL},
    FileType{"IQ4_XS", 30, ElementType::IQ4_XS}, FileType{"MXFP4_MOE", 38, ElementType::MXFP4},
};

std::string upper(std::string_view text) {
  std::string result(text);
  std::transform(result.begin(), result.end(), result.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return result;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

bool is_file_type(const FileType& type, std::string_view name) {
  return type.name == name;
}

bool is_iq4(const FileType& type) {
  return is_file_type(type, "IQ4_NL") || is_file_type(type, "IQ4_XS");
}

bool fits(ElementType type, uint64_t row_length) {
  return row_length % tensor::traits_of(type).block_size == 0;
}

// The output matrix (the token embedding when tied): Q6_K unless the file type is Q8_0,
// Q8_0 when the base type's block does not divide its rows.
ElementType output_type(ElementType base, uint64_t row_length) {
  if (!fits(base, row_length)) return ElementType::Q8_0;
  return base == ElementType::Q8_0 ? ElementType::Q8_0 : ElementType::Q6_K;
}

ElementType value_matrix_type(const FileType& file_type, ElementType base, int32_t index,
                              const ModelFacts& model) {
  const std::string_view name = file_type.name;
  if (name == "Q2_K") return model.heads_per_kv_head >= 4 ? ElementType::Q4_K : ElementType::Q3_K;
  if (name == "Q3_K_M") return index < 2 ? ElementType::Q5_K : ElementType::Q4_K;
  if (name == "Q3_K_L") return ElementType::Q5_K;
  if ((name == "Q4_K_M" || name == "Q5_K_M") && uses_more_bits(index, model.value_matrices))
    return ElementType::Q6_K;
  if (is_iq4(file_type) && model.heads_per_kv_head >= 4) return ElementType::Q5_K;
  if (name == "Q4_K_S" && index < 4) return ElementType::Q5_K;
  return base;
}

ElementType ffn_down_type(const FileType& file_type, ElementType base, int32_t index,
                          int32_t layers) {
  const std::string_view name = file_type.name;
  if (name == "Q2_K") return ElementType::Q3_K;
  if (name == "Q3_K_M") return index < layers / 16 ? ElementType::Q5_K : ElementType::Q4_K;
  if (name == "Q3_K_L") return ElementType::Q5_K;
  if ((name == "Q4_K_M" || name == "Q5_K_M") && uses_more_bits(index, layers))
    return ElementType::Q6_K;
  // Without an importance matrix (weft never has one) the first eighth gets Q5_K.
  if (is_iq4(file_type) && index < layers / 8) return ElementType::Q5_K;
  if (name == "Q4_K_S" && index < layers / 8) return ElementType::Q5_K;
  return base;
}

ElementType attn_output_type(const FileType& file_type, ElementType base) {
  if (is_file_type(file_type, "Q2_K")) return ElementType::Q3_K;
  if (is_file_type(file_type, "Q3_K_M")) return ElementType::Q4_K;
  if (is_file_type(file_type, "Q3_K_L")) return ElementType::Q5_K;
  return base;
}

// llama-quantize's rule for models of exactly 8 experts (Mixtral's count, and any other):
// attn_k and attn_v in Q8_0 ("trades just ~128MB"), attn_output Q5_K for the small
// K-quant and IQ4 mixtures; other expert counts follow the dense rule.
constexpr uint32_t kExpertCountWithOwnRule = 8;

ElementType attn_output_type_with_eight_experts(const FileType& file_type, ElementType base) {
  for (const char* name : {"Q2_K", "Q3_K_S", "Q3_K_M", "Q4_K_S", "Q4_K_M", "IQ4_NL", "IQ4_XS"}) {
    if (is_file_type(file_type, name)) return ElementType::Q5_K;
  }
  return base;
}

ElementType mixture_rule(const FileType& file_type, const TensorPlace& place,
                         const ModelFacts& model) {
  const ElementType base = file_type.base;
  // MXFP4_MOE: the stacked experts MXFP4, every other matrix (output included) Q8_0.
  if (base == ElementType::MXFP4) return place.stacked ? ElementType::MXFP4 : ElementType::Q8_0;
  if (model.experts == kExpertCountWithOwnRule) {
    switch (place.category) {
      case TensorCategory::attn_k:
      case TensorCategory::attn_v:
        return ElementType::Q8_0;
      case TensorCategory::attn_output:
        return attn_output_type_with_eight_experts(file_type, base);
      default:
        break;
    }
  }
  switch (place.category) {
    case TensorCategory::output:
      return output_type(base, place.row_length);
    case TensorCategory::token_embedding:
      return model.tied_embeddings ? output_type(base, place.row_length) : base;
    case TensorCategory::attn_v:
      return value_matrix_type(file_type, base, place.value_index, model);
    case TensorCategory::ffn_down:
      return ffn_down_type(file_type, base, place.ffn_down_index, model.layers);
    case TensorCategory::attn_output:
      return attn_output_type(file_type, base);
    default:
      return base;
  }
}

ElementType fallback_for_row(ElementType type, uint64_t row_length) {
  if (fits(type, row_length)) return type;
  ElementType smaller = type;
  switch (type) {
    case ElementType::Q2_K:
    case ElementType::Q3_K:
      smaller = ElementType::Q4_0;
      break;
    case ElementType::Q4_K:
      smaller = ElementType::Q5_0;
      break;
    case ElementType::Q5_K:
      smaller = ElementType::Q5_1;
      break;
    case ElementType::Q6_K:
      smaller = ElementType::Q8_0;
      break;
    case ElementType::IQ4_XS:
      smaller = ElementType::IQ4_NL;
      break;
    default:
      break;
  }
  return fits(smaller, row_length) ? smaller : ElementType::F16;
}

int layer_of(std::string_view name) {
  int layer = -1;
  const std::string text(name);
  if (std::sscanf(text.c_str(), "blk.%d.", &layer) != 1) return -1;
  return layer;
}

size_t dimensions(std::span<const uint64_t> shape) {
  size_t n = shape.size();
  while (n > 1 && shape[n - 1] == 1) --n;
  return n;
}

}  // namespace

bool is_quantised(ElementType type) {
  return tensor::traits_of(type).block_size > 1;
}

std::optional<FileType> parse_file_type(std::string_view name) {
  std::string wanted = upper(name);
  if (wanted == "Q3_K" || wanted == "Q4_K" || wanted == "Q5_K") wanted += "_M";
  for (const auto& type : kFileTypes) {
    if (type.name == wanted) return type;
  }
  return std::nullopt;
}

std::vector<std::string_view> file_type_names() {
  std::vector<std::string_view> names;
  for (const auto& type : kFileTypes) names.push_back(type.name);
  return names;
}

std::optional<FileType> file_type_of_id(uint32_t id) {
  for (const auto& type : kFileTypes) {
    if (type.id == id) return type;
  }
  return std::nullopt;
}

TensorCategory category_of(std::string_view name) {
  if (name == "output.weight") return TensorCategory::output;
  if (name == "token_embd.weight" || name == "per_layer_token_embd.weight")
    return TensorCategory::token_embedding;
  if (contains(name, "attn_qkv.weight") || contains(name, "attn_kv_b.weight") ||
      contains(name, "attn_v.weight"))
    return TensorCategory::attn_v;
  if (contains(name, "attn_k.weight")) return TensorCategory::attn_k;
  if (contains(name, "attn_q.weight")) return TensorCategory::attn_q;
  if (contains(name, "attn_output.weight")) return TensorCategory::attn_output;
  if (contains(name, "ffn_up")) return TensorCategory::ffn_up;
  if (contains(name, "ffn_gate")) return TensorCategory::ffn_gate;
  if (contains(name, "ffn_down")) return TensorCategory::ffn_down;
  return TensorCategory::other;
}

bool allows_quantization(std::string_view name, std::span<const uint64_t> shape) {
  if (dimensions(shape) < 2) return false;
  if (!name.ends_with("weight")) return false;
  // Tables llama-quantize keeps as they are: norms, routing, positions, small projections.
  constexpr std::array kKept = {"_norm.weight", "ffn_gate_inp.weight",  "altup",
                                "laurel",       "per_layer_model_proj", "position_embd",
                                "token_types",  "ssm_conv1d",           "shortconv.conv.weight",
                                "time_mix_",    "attn_rel_b.weight",    ".rel_pos",
                                ".patch_embd",  ".patch_merger"};
  return std::none_of(kKept.begin(), kKept.end(),
                      [&](const char* part) { return contains(name, part); });
}

bool uses_more_bits(int32_t index, int32_t count) {
  return index < count / 8 || index >= 7 * count / 8 || (index - count / 8) % 3 == 2;
}

ElementType mixture_type(const FileType& file_type, bool pure, const TensorPlace& place,
                         const ModelFacts& model) {
  if (!is_quantised(file_type.base)) return file_type.base;
  const ElementType chosen = pure ? file_type.base : mixture_rule(file_type, place, model);
  return fallback_for_row(chosen, place.row_length);
}

bool llama_tensor_order(std::string_view a, std::string_view b) {
  const int layer_a = layer_of(a);
  const int layer_b = layer_of(b);
  if (layer_a != layer_b) return layer_a < layer_b;
  return a < b;
}

std::vector<PlannedType> plan_types(std::vector<TensorDescription> tensors,
                                    const FileType& file_type, bool pure, ModelFacts model) {
  std::stable_sort(tensors.begin(), tensors.end(),
                   [](const TensorDescription& a, const TensorDescription& b) {
                     return llama_tensor_order(a.name, b.name);
                   });
  model.value_matrices = 0;
  model.tied_embeddings = true;
  for (const auto& tensor : tensors) {
    if (category_of(tensor.name) == TensorCategory::attn_v) ++model.value_matrices;
    if (category_of(tensor.name) == TensorCategory::output) model.tied_embeddings = false;
  }
  std::vector<PlannedType> plan;
  TensorPlace place;
  for (const auto& tensor : tensors) {
    ElementType type = tensor.type;
    if (allows_quantization(tensor.name, tensor.shape)) {
      place.category = category_of(tensor.name);
      place.row_length = tensor.shape[0];
      place.stacked = tensor.shape.size() > 2 && tensor.shape[2] > 1;
      type = mixture_type(file_type, pure, place, model);
      // The counters advance only where llama-quantize consults its mixture rule.
      if (!pure && is_quantised(file_type.base)) {
        if (place.category == TensorCategory::attn_v) ++place.value_index;
        if (place.category == TensorCategory::ffn_down) ++place.ffn_down_index;
      }
    }
    plan.push_back({tensor.name, tensor.type, type});
  }
  return plan;
}

}  // namespace weft::model::quantize
