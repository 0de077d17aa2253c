// Activations rounded to each weight format's partner type before the product, as GGML's CPU
// kernels do (they quantise activations to run integer or half-precision dot products).
// Rounding a row and widening it back gives exactly the values those dot products see; the
// products are then summed in float32 by the reference code.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/half.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/reference_kernels.hpp"

namespace weft::tensor {

ElementType activation_partner(ElementType storage) {
  switch (storage) {
    case ElementType::F16:
    case ElementType::BF16:
      return storage;
    case ElementType::Q4_0:
    case ElementType::Q5_0:
    case ElementType::Q8_0:
      return ElementType::Q8_0;
    case ElementType::Q4_1:
    case ElementType::Q5_1:
      return ElementType::Q8_1;
    case ElementType::Q2_K:
    case ElementType::Q3_K:
    case ElementType::Q4_K:
    case ElementType::Q5_K:
    case ElementType::Q6_K:
      return ElementType::Q8_K;
    default:
      return ElementType::F32;
  }
}

namespace {

// Blocks of 32 values as GGML's x86 SIMD quantiser makes them for Q8_0 and Q8_1 (which
// differs from the scalar reference quantiser in how it scales and rounds): scale 127/amax,
// round half to even, and the block scale d = amax/127 stored in half precision.
void round_q8_blocks(float* x, int64_t n) {
  for (int64_t block = 0; block < n; block += 32) {
    float amax = 0;
    for (int64_t i = block; i < block + 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = fp16_to_fp32(fp32_to_fp16(amax / 127.0f));
    const float inverse = amax != 0 ? 127.0f / amax : 0.0f;
    for (int64_t i = block; i < block + 32; ++i) x[i] = d * std::nearbyint(x[i] * inverse);
  }
}

}  // namespace

void RoundedActivationKernels::round_activations(ElementType partner_storage, float* x,
                                                 int64_t n) const {
  const ElementType partner = activation_partner(partner_storage);
  if (partner == ElementType::F32) return;
  if (partner == ElementType::F16) {
    for (int64_t i = 0; i < n; ++i) x[i] = fp16_to_fp32(fp32_to_fp16(x[i]));
    return;
  }
  if (partner == ElementType::Q8_0 || partner == ElementType::Q8_1) {
    round_q8_blocks(x, n);
    return;
  }
  std::vector<std::byte> rounded(*bytes_for(partner, static_cast<uint64_t>(n)));
  quantize_row(partner, x, rounded.data(), n);
  dequantize_row(partner, rounded.data(), x, n);
}

// GGML evaluates GELU through a half-precision table: the input is rounded to F16 and the
// table holds F16 results; outside ±10 it is 0 or the identity.
void RoundedActivationKernels::gelu_tanh_mul(const float* gate, const float* up, int64_t n,
                                             float* out) const {
  constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
  for (int64_t i = 0; i < n; ++i) {
    float gelu = gate[i];
    if (gate[i] <= -10.0f) {
      gelu = 0.0f;
    } else if (gate[i] < 10.0f) {
      const float x = fp16_to_fp32(fp32_to_fp16(gate[i]));
      const float exact =
          0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * x * (1.0f + 0.044715f * x * x)));
      gelu = fp16_to_fp32(fp32_to_fp16(exact));
    }
    out[i] = gelu * up[i];
  }
}

void RoundedActivationKernels::matmul(const WeightMatrix& w, const float* x, int64_t n_rows,
                                      float* out, ThreadPool& pool) const {
  if (activation_partner(w.type) == ElementType::F32) {
    ReferenceKernels::matmul(w, x, n_rows, out, pool);
    return;
  }
  std::vector<float> rounded(x, x + n_rows * w.cols);
  for (int64_t i = 0; i < n_rows; ++i)
    round_activations(w.type, rounded.data() + i * w.cols, w.cols);
  ReferenceKernels::matmul(w, rounded.data(), n_rows, out, pool);
}

}  // namespace weft::tensor
