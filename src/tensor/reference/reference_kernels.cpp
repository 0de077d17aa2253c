// Plain scalar kernels. Matrix products read each weight row once per batch: the row is
// turned into float32 in a small scratch buffer (unless already float32) and dotted with
// every activation row, so quantised weights are never expanded beyond one row.
#include <algorithm>
#include <cmath>
#include <vector>

#include "tensor/quant_formats.hpp"
#include "tensor/reference/reference_kernels.hpp"

namespace weft::tensor {
namespace {

// Eight independent partial sums: a fixed summation order that compilers can vectorise.
float dot_f32(const float* a, const float* b, int64_t n) {
  float partial[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int lane = 0; lane < 8; ++lane) partial[lane] += a[i + lane] * b[i + lane];
  }
  for (; i < n; ++i) partial[i % 8] += a[i] * b[i];
  return ((partial[0] + partial[1]) + (partial[2] + partial[3])) +
         ((partial[4] + partial[5]) + (partial[6] + partial[7]));
}

}  // namespace

void ReferenceKernels::matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                              ThreadPool& pool) const {
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end, unsigned) {
    std::vector<float> scratch(w.type == ElementType::F32 ? 0 : static_cast<size_t>(w.cols));
    for (int64_t r = begin; r < end; ++r) {
      const float* row = nullptr;
      if (w.type == ElementType::F32) {
        row = reinterpret_cast<const float*>(w.row(r));
      } else {
        dequantize_row(w.type, w.row(r), scratch.data(), w.cols);
        row = scratch.data();
      }
      for (int64_t i = 0; i < n_rows; ++i)
        out[i * w.rows + r] = dot_f32(row, x + i * w.cols, w.cols);
    }
  });
}

void ReferenceKernels::rms_norm(const float* x, const float* weight, int64_t n, float eps,
                                float* out) const {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void ReferenceKernels::rope(float* x, const RopeShape& shape, int64_t position) const {
  const int64_t half = shape.n_rot / 2;
  for (int64_t i = 0; i < half; ++i) {
    double angle = static_cast<double>(position) * shape.inverse_frequencies[i];
    double magnitude = 1.0;
    if (shape.yarn != nullptr) {
      const double ramp = shape.yarn->ramp[i];
      angle = angle * shape.yarn->frequency_scale * (1.0 - ramp) + angle * ramp;
      magnitude = shape.yarn->magnitude;
    }
    const auto c = static_cast<float>(std::cos(angle) * magnitude);
    const auto s = static_cast<float>(std::sin(angle) * magnitude);
    const int64_t first = shape.mode == RopeMode::normal ? 2 * i : i;
    const int64_t second = shape.mode == RopeMode::normal ? 2 * i + 1 : i + half;
    for (int64_t head = 0; head < shape.n_heads; ++head) {
      float* h = x + head * shape.head_dim;
      const float a = h[first];
      const float b = h[second];
      h[first] = a * c - b * s;
      h[second] = a * s + b * c;
    }
  }
}

void ReferenceKernels::softmax(float* x, int64_t n) const {
  const float max = *std::max_element(x, x + n);
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inverse = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inverse;
}

void ReferenceKernels::silu_mul(const float* gate, const float* up, int64_t n, float* out) const {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void ReferenceKernels::gelu_tanh_mul(const float* gate, const float* up, int64_t n,
                                     float* out) const {
  constexpr double kSqrt2OverPi = 0.7978845608028654;
  for (int64_t i = 0; i < n; ++i) {
    const double g = gate[i];
    const double gelu = 0.5 * g * (1.0 + std::tanh(kSqrt2OverPi * (g + 0.044715 * g * g * g)));
    out[i] = static_cast<float>(gelu) * up[i];
  }
}

void ReferenceKernels::add(float* acc, const float* x, int64_t n) const {
  for (int64_t i = 0; i < n; ++i) acc[i] += x[i];
}

void ReferenceKernels::soft_cap(float* x, int64_t n, float cap) const {
  for (int64_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] / cap);
}

float ReferenceKernels::dot(const float* a, const float* b, int64_t n) const {
  return dot_f32(a, b, n);
}

void ReferenceKernels::axpy(float a, const float* x, float* y, int64_t n) const {
  for (int64_t i = 0; i < n; ++i) y[i] += a * x[i];
}

}  // namespace weft::tensor
