// The one table of element formats, after GGML's type_traits: each format's row gives its
// id, name, block shape and its reference row conversions. What a CPU computes with a
// format (partner activation type, the product of each kernel set) is a second table,
// tensor/cpu_format_traits.hpp, as GGML keeps type_traits_cpu apart.
#pragma once

#include <cstdint>
#include <span>

#include "tensor/formats/element_type.hpp"

namespace weft::tensor {

// dst[0..n) = the n values stored at `src` (n a whole number of blocks).
using RowToFloat = void (*)(const void* src, float* dst, int64_t n);
// Writes the n values of `src` (a whole number of blocks) as the format's blocks at `dst`.
using RowFromFloat = void (*)(const float* src, void* dst, int64_t n);

struct FormatTraits {
  TypeTraits traits;        // id, name as llama.cpp prints it, values and bytes per block
  RowToFloat to_float;      // reference dequantisation, bit-exact with GGML's
  RowFromFloat from_float;  // reference quantisation, as GGML's (non-imatrix) quantisers
};

// Every format weft computes on, one row each; the order of the name table.
std::span<const FormatTraits> format_table();
// The row of a GGUF type id, or nullptr for ids this build cannot compute on.
const FormatTraits* find_format(uint32_t raw_type);
// The row of `type`; throws weft::Error for a value outside the enum (a cast of an unchecked id).
const FormatTraits& format_traits(ElementType type);

}  // namespace weft::tensor
