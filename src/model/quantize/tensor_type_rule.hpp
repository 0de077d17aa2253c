// Which element type each tensor of a model gets when it is quantised to a llama.cpp file
// type (Q4_K_M, Q8_0, ...): llama-quantize's rule for the dense architectures weft runs,
// without an importance matrix. `weft quantize` and `weft mkmodel` both choose through it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/formats/element_type.hpp"

namespace weft::model::quantize {

// A llama.cpp file type (llama_ftype) that weft writes.
struct FileType {
  std::string_view name;     // llama-quantize's name: "Q4_K_M", "Q8_0", "F16", ...
  uint32_t id = 0;           // general.file_type
  tensor::ElementType base;  // the type of most matrices
};

// Case-insensitive; "Q3_K", "Q4_K" and "Q5_K" are the _M mixtures, as in llama-quantize.
std::optional<FileType> parse_file_type(std::string_view name);
std::vector<std::string_view> file_type_names();
// The file type whose general.file_type is `id`.
std::optional<FileType> file_type_of_id(uint32_t id);

// What llama-quantize's rule distinguishes a tensor by (from its name).
enum class TensorCategory {
  token_embedding,
  output,
  attn_q,
  attn_k,
  attn_v,  // attn_v, fused attn_qkv and attn_kv_b: the "more sensitive" value matrices
  attn_output,
  ffn_up,
  ffn_gate,
  ffn_down,
  other
};
TensorCategory category_of(std::string_view tensor_name);

// Whether llama-quantize changes the tensor's type at all: matrices (2-D or more) whose name
// ends in "weight", except norms and the small tables it keeps as they are.
bool allows_quantization(std::string_view tensor_name, std::span<const uint64_t> shape);

// Whether a type stores blocks of quantised values (not F32, F16 or BF16).
bool is_quantised(tensor::ElementType type);

struct ModelFacts {
  int32_t layers = 0;              // block_count
  int32_t value_matrices = 0;      // tensors of category attn_v
  uint32_t heads_per_kv_head = 1;  // head_count / head_count_kv
  bool tied_embeddings = true;     // no output.weight
  uint32_t experts = 0;            // <arch>.expert_count (0: no mixture of experts)
};

// The tensor's place in llama-quantize's walk over the model: its index among the attn_v
// tensors and among the ffn_down tensors met so far (the layer, in a dense model).
struct TensorPlace {
  TensorCategory category = TensorCategory::other;
  int32_t value_index = 0;
  int32_t ffn_down_index = 0;
  uint64_t row_length = 0;
  bool stacked = false;  // a 3-D tensor of several matrices (ne[2] > 1): the experts
};

// The type of a tensor that allows_quantization: the file type's base type adjusted by the
// mixture rule (unless `pure`), then falling back when its block does not divide the row
// (Q2_K/Q3_K → Q4_0, Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, then F16).
tensor::ElementType mixture_type(const FileType& file_type, bool pure, const TensorPlace& place,
                                 const ModelFacts& model);

// llama.cpp's "use more bits" layers: the first and last eighth, and every third between.
bool uses_more_bits(int32_t index, int32_t count);

// The order llama-quantize walks (and writes) tensors in: those outside a layer first, then
// layer by layer ("blk.N."), by name within each.
bool llama_tensor_order(std::string_view a, std::string_view b);

struct PlannedType {
  std::string name;
  tensor::ElementType from;
  tensor::ElementType to;
};

struct TensorDescription {
  std::string name;
  tensor::ElementType type;
  std::vector<uint64_t> shape;
};

// Every tensor's type, in llama.cpp's order, for the file type.
std::vector<PlannedType> plan_types(std::vector<TensorDescription> tensors,
                                    const FileType& file_type, bool pure, ModelFacts model);

}  // namespace weft::model::quantize
