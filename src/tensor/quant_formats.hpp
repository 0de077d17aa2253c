// Block formats of every element type: dequantisation, quantisation from F32, and the
// plain scalar dot product that every optimised kernel is tested against.
//
// CONTRACT (implementation: issue 3, src/tensor/): `n` is a whole number of blocks of the
// type (callers check with bytes_for; otherwise these throw weft::Error); layouts are
// bit-exact with GGML's. Block structs: tensor/formats/quant_blocks.hpp; fp16/bf16:
// tensor/formats/half.hpp.
#pragma once

#include <cstdint>

#include "tensor/formats/element_type.hpp"

namespace weft::tensor {

// dst[0..n) = the values of one row stored in `type` at `src`.
void dequantize_row(ElementType type, const void* src, float* dst, int64_t n);

// Writes bytes_for(type, n) bytes at `dst` (reference quantisers, as GGML's).
void quantize_row(ElementType type, const float* src, void* dst, int64_t n);

// Σ row[i]·x[i] in float accumulation over dequantised blocks, with F32 activations:
// the exact reference that fast kernels are compared against.
float dot_reference(ElementType type, const void* row, const float* x, int64_t n);

}  // namespace weft::tensor
