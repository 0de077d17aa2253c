// ARM NEON matrix products behind FastKernels on aarch64 (NEON is part of the base
// architecture there, so no run-time detection is needed): Q8_0 and Q4_0 weights as int8 dot
// products with the activations rounded exactly as rounded-activations rounds them
// (quantize_activation_q8), F32 and F16 weights with float FMA. Elsewhere
// neon_matmul_supports() is false and neon_matmul is never called.
//
// Checked on aarch64 by scripts/check-aarch64.sh (cross-compiled, run under qemu); no ARM
// machine was available to measure speed.
#pragma once

#include "tensor/threads/thread_pool.hpp"
#include "tensor/weight_matrix.hpp"

namespace weft::tensor {

bool neon_matmul_supports(ElementType type);
void neon_matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                 ThreadPool& pool);

}  // namespace weft::tensor
