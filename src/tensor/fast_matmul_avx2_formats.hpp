// AVX2 dot products for the weight formats beyond fast_matmul_avx2.cpp's own (Q4_1, Q5_0,
// Q5_1, IQ4_NL, Q2_K, Q3_K, Q5_K, IQ4_XS, BF16). avx2_matmul() drives them like its own kernels: it
// rounds each activation row once (when act_row_bytes is not 0) with round_row, or with its own
// Q8_K quantiser when round_row is null and partner is Q8_K, and calls dots[g - 1] for
// groups of g activation rows sharing one read of a weight row.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tensor/element_type.hpp"

namespace weft::tensor {

inline constexpr int kFormatMaxGroup = 4;

// results[k] = weight_row · act_rows[k] for k < g (g fixed per function).
using FormatGroupDot = void (*)(const std::byte* weight_row, const std::byte* const* act_rows,
                                int64_t cols, float* results);
// Rounds `cols` float32 activations into the format's partner blocks at `dst`.
using ActivationRounder = void (*)(const float* x, std::byte* dst, int64_t cols);

struct FormatKernel {
  std::array<FormatGroupDot, kFormatMaxGroup> dots{};  // dots[g - 1] handles g rows
  uint64_t act_row_bytes = 0;                          // 0: float32 activations are used in place
  ElementType partner = ElementType::F32;  // Q8_1: round_row's blocks; Q8_K: caller's Q8_K
  ActivationRounder round_row = nullptr;   // the legacy formats' blocks (with their sums)
};

bool avx2_format_supports(ElementType type);
// Only for types avx2_format_supports() accepts; `cols` whole blocks of the type.
FormatKernel avx2_format_kernel(ElementType type, int64_t cols);

}  // namespace weft::tensor
