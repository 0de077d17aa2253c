// The plain scalar kernels (reference) and the variant that rounds activations as GGML's CPU
// kernels do before each product (rounded activations).
#pragma once

#include "tensor/kernels.hpp"

namespace weft::tensor {

class ReferenceKernels : public Kernels {
 public:
  std::string_view name() const override { return "reference"; }
  void matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
              ThreadPool& pool) const override;
  void rms_norm(const float* x, const float* weight, int64_t n, float eps,
                float* out) const override;
  void rope(float* x, const RopeShape& shape, int64_t position) const override;
  void softmax(float* x, int64_t n) const override;
  void silu_mul(const float* gate, const float* up, int64_t n, float* out) const override;
  void gelu_tanh_mul(const float* gate, const float* up, int64_t n, float* out) const override;
  void add(float* acc, const float* x, int64_t n) const override;
  void soft_cap(float* x, int64_t n, float cap) const override;
  float dot(const float* a, const float* b, int64_t n) const override;
  void axpy(float a, const float* x, float* y, int64_t n) const override;
  void round_activations(ElementType, float*, int64_t) const override {}
};

// Also sums F16 and 8-bit block products, and attention against an F16 cache, in the order of
// GGML's CPU kernels compiled for `lanes` float lanes (ggml_cpu_numerics.hpp).
class RoundedActivationKernels final : public ReferenceKernels {
 public:
  explicit RoundedActivationKernels(int lanes) : lanes_(lanes) {}
  std::string_view name() const override { return "rounded-activations"; }
  int ggml_lanes() const override { return lanes_; }
  void gelu_tanh_mul(const float* gate, const float* up, int64_t n, float* out) const override;
  void matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
              ThreadPool& pool) const override;
  void round_activations(ElementType partner_storage, float* x, int64_t n) const override;
  // GGML's float32 rounding of these (float mean and scale; float rotation angles and fused
  // multiply-adds; the vectorised exp in SiLU).
  void rms_norm(const float* x, const float* weight, int64_t n, float eps,
                float* out) const override;
  void rope(float* x, const RopeShape& shape, int64_t position) const override;
  void silu_mul(const float* gate, const float* up, int64_t n, float* out) const override;

 private:
  int lanes_;
};

}  // namespace weft::tensor
