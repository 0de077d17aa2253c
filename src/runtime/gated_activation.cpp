#include "runtime/gated_activation.hpp"

namespace weft::runtime {
namespace {

// Below this many rows the transcendental calls are not worth splitting between threads.
constexpr int64_t kMinRowsToSplitActivation = 4;

}  // namespace

void activate_gated_rows(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                         model::GatedActivation activation, const float* gate, const float* up,
                         int64_t n_rows, int64_t width, float* out) {
  const bool gelu = activation == model::GatedActivation::gelu_tanh;
  const auto activate = [&](int64_t begin, int64_t end, unsigned) {
    for (int64_t row = begin; row < end; ++row) {
      const int64_t offset = row * width;
      if (gelu) {
        kernels.gelu_tanh_mul(gate + offset, up + offset, width, out + offset);
      } else {
        kernels.silu_mul(gate + offset, up + offset, width, out + offset);
      }
    }
  };
  if (n_rows >= kMinRowsToSplitActivation) {
    pool.parallel_for(n_rows, activate);
  } else {
    activate(0, n_rows, 0);
  }
}

}  // namespace weft::runtime
