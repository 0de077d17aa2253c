// Kernels tuned for x86-64 with AVX2, FMA and F16C, chosen at run time: on other machines
// they fall back to the reference code, so the build never needs -march flags.
//
// Matrix products with quantised weights round each activation row once per product to
// the weight format's partner type (Q8_0-style blocks for Q4_0/Q4_1/Q5_0/Q5_1/Q8_0, Q8_K for
// the K-quants) exactly as the rounded-activations kernels do, then run integer dot products
// per block. Their results therefore equal rounded-activations' up to float32 summation
// order; against the reference they differ by at most Σ|w|·(activation step)/2 per output
// (see docs/performance.md).
// F16, BF16 and F32 weights are multiplied with float32 activations.
#pragma once

#include "tensor/cpu_features.hpp"
#include "tensor/reference/reference_kernels.hpp"

namespace weft::tensor {

class FastKernels final : public ReferenceKernels {
 public:
  std::string_view name() const override { return "fast"; }
  void matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
              ThreadPool& pool) const override;
  float dot(const float* a, const float* b, int64_t n) const override;
  void silu_mul(const float* gate, const float* up, int64_t n, float* out) const override;
  void axpy(float a, const float* x, float* y, int64_t n) const override;
};

}  // namespace weft::tensor
