// The AVX2 dot families, one entry per weight format (tensor/cpu_format_traits.cpp registers
// them): fast_matmul_avx2.cpp's own (F32, F16, Q8_0, Q4_0, Q4_K, Q6_K) and
// fast_matmul_avx2_formats.cpp's (Q4_1, Q5_0, Q5_1, IQ4_NL, MXFP4, Q2_K, Q3_K, Q5_K, IQ4_XS,
// BF16). avx2_matmul() asks the entry once per product, rounds each activation row once
// (when act_row_bytes is not 0) with round_row, or with its own Q8_0/Q8_K quantiser when
// round_row is null, and calls dots[g - 1] for groups of g activation rows sharing one read
// of a weight row. Defined on x86-64 (GCC/Clang) only.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "tensor/formats/element_type.hpp"

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
  ElementType partner = ElementType::F32;  // Q8_1: round_row's blocks; Q8_0/Q8_K: caller's
  ActivationRounder round_row = nullptr;   // the legacy formats' blocks (with their sums)
};

// The kernel of one format for rows of `cols` values (whole blocks of the format).
using Avx2KernelFor = FormatKernel (*)(int64_t cols);

FormatKernel avx2_f32_kernel(int64_t cols);
FormatKernel avx2_f16_kernel(int64_t cols);
FormatKernel avx2_q8_0_kernel(int64_t cols);
FormatKernel avx2_q4_0_kernel(int64_t cols);
FormatKernel avx2_q4_k_kernel(int64_t cols);
FormatKernel avx2_q6_k_kernel(int64_t cols);
FormatKernel avx2_q4_1_kernel(int64_t cols);
FormatKernel avx2_q5_0_kernel(int64_t cols);
FormatKernel avx2_q5_1_kernel(int64_t cols);
FormatKernel avx2_iq4_nl_kernel(int64_t cols);
FormatKernel avx2_mxfp4_kernel(int64_t cols);
FormatKernel avx2_q2_k_kernel(int64_t cols);
FormatKernel avx2_q3_k_kernel(int64_t cols);
FormatKernel avx2_q5_k_kernel(int64_t cols);
FormatKernel avx2_iq4_xs_kernel(int64_t cols);
FormatKernel avx2_bf16_kernel(int64_t cols);

}  // namespace weft::tensor
