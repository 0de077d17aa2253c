// MXFP4 (OCP Microscaling, GGML's type 39, gpt-oss's expert format): blocks of 32 values, one
// E8M0 scale byte (a power of two) and 32 four-bit E2M1 codes. Reference dequantiser and
// quantiser (llama-quantize's bytes: tests/tensor/mxfp4_test.cpp), and the product with
// activations rounded to Q8_0 in the order of GGML's AVX2 ggml_vec_dot_mxfp4_q8_0.
//
// ElementType::MXFP4 (id 39) computes through these: dequantize_row/quantize_row and the
// rounded-activations matmul (quant_formats.cpp, rounded_activation_kernels.cpp); the fast
// kernels' AVX2 product is in fast_matmul_avx2_formats.cpp.
#pragma once

#include <bit>
#include <cstdint>

namespace weft::tensor {

inline constexpr int kMxfp4BlockSize = 32;

struct BlockMXFP4 {
  uint8_t e;       // E8M0 exponent: the scale is 2^(e − 127)
  uint8_t qs[16];  // code j in the low nibble of byte j, code 16 + j in its high nibble
};
static_assert(sizeof(BlockMXFP4) == 17);

// The sixteen E2M1 values, doubled so that they are integers (0, ±0.5, …, ±6 times two); the
// block's scale is halved to match (mxfp4_half_scale).
inline constexpr int8_t kMxfp4DoubledValues[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                                                   0, -1, -2, -3, -4, -6, -8, -12};

// 2^(e − 128): half the block's scale, exactly (subnormal for e < 2).
// Inline: the AVX2 product calls it once per block of 32 values.
inline float mxfp4_half_scale(uint8_t e) {
  // 2^(e − 128) as float bits: subnormal 2^−128 and 2^−127 for e = 0 and 1, else exponent
  // field e − 1 with a zero mantissa.
  const uint32_t bits = e < 2 ? uint32_t{0x00200000} << e : static_cast<uint32_t>(e - 1) << 23;
  return std::bit_cast<float>(bits);
}

void dequantize_mxfp4(const BlockMXFP4* blocks, float* dst, int64_t count);
// As llama-quantize makes them: the exponent floor(log2(max |x|)) − 2 (0 for a block of
// zeros), each value the nearest of the sixteen (the first on a tie).
void quantize_mxfp4(const float* src, BlockMXFP4* blocks, int64_t count);

// Σ w·x over n_blocks blocks, x given as Q8_0 blocks (32 integers and the float value of their
// half-precision scale per block), summed as GGML's AVX2 kernel does: pairs of blocks into two
// sets of eight float lanes, a last unpaired block added in scalar.
float mxfp4_q8_0_dot(const BlockMXFP4* weights, const int8_t* x_ints, const float* x_scales,
                     int64_t n_blocks);

}  // namespace weft::tensor
