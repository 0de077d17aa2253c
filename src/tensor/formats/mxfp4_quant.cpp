#include "tensor/formats/mxfp4_quant.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "tensor/reference/ggml_cpu_numerics.hpp"

namespace weft::tensor {
namespace {

// The code whose value (times `half_scale`) is nearest to x; the lowest code on a tie, as
// llama-quantize's strict comparison keeps the first.
uint8_t nearest_mxfp4_code(float x, float half_scale) {
  uint8_t best = 0;
  float best_error = std::fabs(kMxfp4DoubledValues[0] * half_scale - x);
  for (uint8_t code = 1; code < 16; ++code) {
    const float error = std::fabs(kMxfp4DoubledValues[code] * half_scale - x);
    if (error < best_error) {
      best = code;
      best_error = error;
    }
  }
  return best;
}

}  // namespace

void dequantize_mxfp4(const BlockMXFP4* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count / kMxfp4BlockSize; ++b) {
    const float half_scale = mxfp4_half_scale(blocks[b].e);
    float* out = dst + b * kMxfp4BlockSize;
    for (int j = 0; j < 16; ++j) {
      out[j] = kMxfp4DoubledValues[blocks[b].qs[j] & 0x0F] * half_scale;
      out[j + 16] = kMxfp4DoubledValues[blocks[b].qs[j] >> 4] * half_scale;
    }
  }
}

void quantize_mxfp4(const float* src, BlockMXFP4* blocks, int64_t count) {
  constexpr int kExponentBias = 127;
  constexpr int kLargestValueExponent = 2;  // E2M1's largest value is 6 = 1.5·2²
  for (int64_t b = 0; b < count / kMxfp4BlockSize; ++b) {
    const float* x = src + b * kMxfp4BlockSize;
    float amax = 0.0f;
    for (int j = 0; j < kMxfp4BlockSize; ++j) amax = std::max(amax, std::fabs(x[j]));
    const auto e = amax > 0.0f ? static_cast<uint8_t>(std::floor(std::log2(amax)) -
                                                      kLargestValueExponent + kExponentBias)
                               : uint8_t{0};
    const float half_scale = mxfp4_half_scale(e);
    blocks[b].e = e;
    for (int j = 0; j < 16; ++j) {
      blocks[b].qs[j] = static_cast<uint8_t>(nearest_mxfp4_code(x[j], half_scale) |
                                             nearest_mxfp4_code(x[j + 16], half_scale) << 4);
    }
  }
}

float mxfp4_q8_0_dot(const BlockMXFP4* weights, const int8_t* x_ints, const float* x_scales,
                     int64_t n_blocks) {
  std::vector<int8_t> w_ints(static_cast<size_t>(n_blocks * kMxfp4BlockSize));
  std::vector<float> w_scales(static_cast<size_t>(n_blocks));
  for (int64_t b = 0; b < n_blocks; ++b) {
    w_scales[static_cast<size_t>(b)] = mxfp4_half_scale(weights[b].e);
    int8_t* ints = w_ints.data() + b * kMxfp4BlockSize;
    for (int j = 0; j < 16; ++j) {
      ints[j] = kMxfp4DoubledValues[weights[b].qs[j] & 0x0F];
      ints[j + 16] = kMxfp4DoubledValues[weights[b].qs[j] >> 4];
    }
  }
  // GGML's MXFP4 kernel pairs blocks exactly as its IQ4_NL kernel does.
  return ggml_cpu::q8_blocks_dot_alternating(w_ints.data(), w_scales.data(), x_ints, x_scales,
                                             n_blocks);
}

}  // namespace weft::tensor
