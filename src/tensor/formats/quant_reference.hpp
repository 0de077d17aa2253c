// Per-format scalar reference routines behind quant_formats.hpp, on whole blocks.
//
// Dequantisers evaluate each value with the same float operations, in the same order, as
// GGML's reference dequantisers, so results are bit-identical (this file set is built
// without floating-point contraction: ISO C++ mode, no FMA fusion).
// Quantisers follow GGML's reference (non-imatrix) algorithms step for step.
#pragma once

#include <cstdint>

#include "tensor/formats/quant_blocks.hpp"

namespace weft::tensor::ref {

void dequantize(const BlockQ4_0* blocks, float* dst, int64_t count);
void dequantize(const BlockQ4_1* blocks, float* dst, int64_t count);
void dequantize(const BlockQ5_0* blocks, float* dst, int64_t count);
void dequantize(const BlockQ5_1* blocks, float* dst, int64_t count);
void dequantize(const BlockQ8_0* blocks, float* dst, int64_t count);
void dequantize(const BlockQ8_1* blocks, float* dst, int64_t count);
void dequantize(const BlockQ2_K* blocks, float* dst, int64_t count);
void dequantize(const BlockQ3_K* blocks, float* dst, int64_t count);
void dequantize(const BlockQ4_K* blocks, float* dst, int64_t count);
void dequantize(const BlockQ5_K* blocks, float* dst, int64_t count);
void dequantize(const BlockQ6_K* blocks, float* dst, int64_t count);
void dequantize(const BlockQ8_K* blocks, float* dst, int64_t count);
void dequantize(const BlockIQ4_NL* blocks, float* dst, int64_t count);
void dequantize(const BlockIQ4_XS* blocks, float* dst, int64_t count);

void quantize(const float* src, BlockQ4_0* blocks, int64_t count);
void quantize(const float* src, BlockQ4_1* blocks, int64_t count);
void quantize(const float* src, BlockQ5_0* blocks, int64_t count);
void quantize(const float* src, BlockQ5_1* blocks, int64_t count);
void quantize(const float* src, BlockQ8_0* blocks, int64_t count);
void quantize(const float* src, BlockQ8_1* blocks, int64_t count);
void quantize(const float* src, BlockQ2_K* blocks, int64_t count);
void quantize(const float* src, BlockQ3_K* blocks, int64_t count);
void quantize(const float* src, BlockQ4_K* blocks, int64_t count);
void quantize(const float* src, BlockQ5_K* blocks, int64_t count);
void quantize(const float* src, BlockQ6_K* blocks, int64_t count);
void quantize(const float* src, BlockQ8_K* blocks, int64_t count);
// IQ4_NL and IQ4_XS as llama-quantize makes them (quantize_iq4_nl/_xs without importance
// weights: a scale search over 15 candidates per sub-block).
void quantize(const float* src, BlockIQ4_NL* blocks, int64_t count);
void quantize(const float* src, BlockIQ4_XS* blocks, int64_t count);

}  // namespace weft::tensor::ref
