// The compute kernels the model is written against. Model code only ever calls through this
// interface, so kernels tuned for an instruction set replace the reference ones without
// touching it. Every implementation is compared with the reference one in the tests.
//
// Conventions: activations are row-major float32 matrices, one row per token; a matrix
// product computes every weight row against every activation row.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "tensor/threads/thread_pool.hpp"
#include "tensor/weight_matrix.hpp"

namespace weft::tensor {

enum class RopeMode {
  normal,  // rotates pairs (2i, 2i+1) of each head (llama)
  neox,    // rotates pairs (i, i + n_rot/2) (qwen, phi3, gemma)
};

// YaRN context extension (rope.scaling.type yarn): dimension i turns by the angle
// interpolated (times frequency_scale) where ramp[i] is 0, extrapolated (unscaled) where it is
// 1 and a mix between, and its cos and sin are multiplied by `magnitude`.
struct RopeYarn {
  float frequency_scale = 1.0f;  // 1 / rope.scaling.factor
  float magnitude = 1.0f;
  const float* ramp = nullptr;  // n_rot/2 values in [0, 1]
};

// Rotary embedding of one row of heads. `inverse_frequencies` has n_rot/2 entries, already
// divided by any per-dimension factor and linear frequency scale (never by YaRN's, which
// `yarn` carries); dimensions past n_rot are kept.
struct RopeShape {
  int64_t n_heads = 0;
  int64_t head_dim = 0;
  int64_t n_rot = 0;
  RopeMode mode = RopeMode::normal;
  const double* inverse_frequencies = nullptr;
  const RopeYarn* yarn = nullptr;  // nullptr: no YaRN
};

class Kernels {
 public:
  virtual ~Kernels() = default;
  virtual std::string_view name() const = 0;

  // out[i][r] = Σ_c w[r][c]·x[i][c] for i < n_rows, r < w.rows; x is n_rows × w.cols, out is
  // n_rows × w.rows. Each output is computed the same way whatever n_rows is, so a row's
  // result never depends on what else is in the batch — except in kernels imitating GGML
  // (ggml_lanes() > 0), which sum one row differently from several, as GGML does.
  virtual void matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                      ThreadPool& pool) const = 0;

  // out = x / sqrt(mean(x²) + eps) · weight over n values (out may alias x).
  virtual void rms_norm(const float* x, const float* weight, int64_t n, float eps,
                        float* out) const = 0;
  // Rotates the heads of one token at `position` in place.
  virtual void rope(float* x, const RopeShape& shape, int64_t position) const = 0;
  // In place: x = exp(x - max) / Σ exp(x - max).
  virtual void softmax(float* x, int64_t n) const = 0;
  // out = silu(gate) · up, and the GeGLU variant with the tanh form of GELU.
  virtual void silu_mul(const float* gate, const float* up, int64_t n, float* out) const = 0;
  virtual void gelu_tanh_mul(const float* gate, const float* up, int64_t n, float* out) const = 0;
  // acc += x.
  virtual void add(float* acc, const float* x, int64_t n) const = 0;
  // x = cap · tanh(x / cap).
  virtual void soft_cap(float* x, int64_t n, float cap) const = 0;
  virtual float dot(const float* a, const float* b, int64_t n) const = 0;
  // y += a·x.
  virtual void axpy(float a, const float* x, float* y, int64_t n) const = 0;

  // Rounds activations the way this kernel set does before multiplying them with values
  // stored as `partner_storage` (weights, or the KV cache in attention). The reference
  // kernels keep float32; kernels with quantised dot products round to the format's partner
  // type (see activation_partner), and the attention code calls this so that its products
  // with the KV cache round the same way.
  virtual void round_activations(ElementType partner_storage, float* x, int64_t n) const = 0;

  // Kernels that imitate GGML's CPU backend return the float lanes of the vector width they
  // imitate (tensor/reference/ggml_cpu_numerics.hpp), and the attention code then sums its products
  // with an F16 cache in GGML's order; 0 (the default): plain float32 sums.
  virtual int ggml_lanes() const { return 0; }
};

// The type GGML's CPU kernels convert activations to before a dot product with `storage`:
// F16 and BF16 themselves; Q8_0 for Q4_0/Q5_0/Q8_0; Q8_1 for Q4_1/Q5_1; Q8_K for the
// K-quants; F32 otherwise.
ElementType activation_partner(ElementType storage);

enum class KernelChoice {
  reference,  // plain scalar code, float32 activations: the yardstick
  fast,       // the best this machine supports: AVX2 products (see fast_kernels.hpp)
  // The reference kernels with activations rounded to each format's partner type first,
  // as GGML's CPU backend (llama.cpp) does: reproduces llama.cpp's numbers, and is the
  // yardstick for fast kernels that quantise activations.
  rounded_activations,
};

std::string_view to_string(KernelChoice choice);
// "reference", "fast" or "rounded-activations"; nullopt otherwise.
std::optional<KernelChoice> parse_kernel_choice(std::string_view name);

const Kernels& kernels_for(KernelChoice choice);
const Kernels& reference_kernels();

}  // namespace weft::tensor
