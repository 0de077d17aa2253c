#include "runtime/gated_activation.hpp"

#include <algorithm>
#include <cmath>

namespace weft::runtime {
namespace {

// Below this many rows the transcendental calls are not worth splitting between threads.
constexpr int64_t kMinRowsToSplitActivation = 4;

// gpt-oss's clamped SwiGLU: its published constants (also llama.cpp's), in the order GGML's
// CPU kernel computes it (libm's expf, so every kernel set gives the same bits).
constexpr float kSwigluOaiAlpha = 1.702f;
constexpr float kSwigluOaiLimit = 7.0f;

void swiglu_oai_mul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float g = std::min(gate[i], kSwigluOaiLimit);
    const float u = std::clamp(up[i], -kSwigluOaiLimit, kSwigluOaiLimit);
    const float gated = g / (1.0f + std::exp(kSwigluOaiAlpha * (-g)));
    out[i] = gated * (u + 1.0f);
  }
}

}  // namespace

void activate_gated_rows(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                         model::GatedActivation activation, const float* gate, const float* up,
                         int64_t n_rows, int64_t width, float* out) {
  const auto activate = [&](int64_t begin, int64_t end, unsigned) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t offset = row * width;
      switch (activation) {
        case model::GatedActivation::gelu_tanh:
          kernels.gelu_tanh_mul(gate + offset, up + offset, width, out + offset);
          break;
        case model::GatedActivation::swiglu_oai:
          swiglu_oai_mul(gate + offset, up + offset, width, out + offset);
          break;
        case model::GatedActivation::silu:
          kernels.silu_mul(gate + offset, up + offset, width, out + offset);
          break;
      }
    }
  };
  tensor::parallel_for_from(pool, kMinRowsToSplitActivation, n_rows, activate);
}

}  // namespace weft::runtime
