// GGML element types as stored in GGUF files: ids, block sizes and block byte sizes.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace weft::tensor {

// Values are the ids GGUF stores; they never change.
enum class ElementType : uint32_t {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q4_1 = 3,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q8_1 = 9,
  Q2_K = 10,
  Q3_K = 11,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
  Q8_K = 15,
  IQ4_NL = 20,
  IQ4_XS = 23,
  MXFP4 = 39,  // gpt-oss's experts (tensor/formats/mxfp4_quant.hpp)
  BF16 = 30,
};

struct TypeTraits {
  ElementType type;
  std::string_view name;  // as llama.cpp prints it: "f32", "q4_K", ...
  uint32_t block_size;    // elements per block
  uint32_t block_bytes;   // bytes per block
};

// Traits of a known type id, or nullopt for ids this build cannot compute on.
std::optional<TypeTraits> traits_of(uint32_t raw_type);
TypeTraits traits_of(ElementType type);
std::optional<ElementType> parse_element_type(std::string_view name);  // case-insensitive

// Bytes of `elements` values; nullopt if `elements` is not a whole number of blocks or the
// size overflows.
std::optional<uint64_t> bytes_for(ElementType type, uint64_t elements);

}  // namespace weft::tensor
