// Activations rounded to each weight format's partner type before the product, as GGML's CPU
// kernels do (they quantise activations to run integer or half-precision dot products).
// Rounding a row and widening it back gives exactly the values those dot products see. For
// F16 weights and the 8-bit block formats the products are then summed in GGML's own order
// (ggml_cpu_numerics.hpp); the other formats are summed in float32 by the reference code.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "tensor/cpu_format_traits.hpp"
#include "tensor/formats/half.hpp"
#include "tensor/formats/mxfp4_quant.hpp"
#include "tensor/formats/quant_blocks.hpp"
#include "tensor/quant_formats.hpp"
#include "tensor/reference/ggml_cpu_numerics.hpp"
#include "tensor/reference/reference_kernels.hpp"
#include "tensor/reference/rounded_activation_products.hpp"

namespace weft::tensor {

namespace {

// Blocks of 32 values as GGML's x86 SIMD quantiser makes them for Q8_0 and Q8_1 (which
// differs from the scalar reference quantiser in how it scales and rounds): scale 127/amax,
// round half to even, and the block scale d = amax/127 stored in half precision.
// The integers and block scales of that rounding; `ints` and `scales` take n and n/32 values.
void quantize_q8_blocks(const float* x, int64_t n, int8_t* ints, float* scales) {
  for (int64_t block = 0; block < n; block += 32) {
    float amax = 0;
    for (int64_t i = block; i < block + 32; ++i) amax = std::max(amax, std::fabs(x[i]));
    scales[block / 32] = fp16_to_fp32(fp32_to_fp16(amax / 127.0f));
    const float inverse = amax != 0 ? 127.0f / amax : 0.0f;
    for (int64_t i = block; i < block + 32; ++i)
      ints[i] = static_cast<int8_t>(std::nearbyint(x[i] * inverse));
  }
}

// Q8_1 adds to each block s = d·Σq in half precision, with d the unrounded amax/127.
void quantize_q8_1_sums(const float* x, int64_t n, const int8_t* ints, float* sums) {
  for (int64_t block = 0; block < n; block += 32) {
    float amax = 0;
    int32_t total = 0;
    for (int64_t i = block; i < block + 32; ++i) {
      amax = std::max(amax, std::fabs(x[i]));
      total += ints[i];
    }
    sums[block / 32] = fp16_to_fp32(fp32_to_fp16(amax / 127.0f * static_cast<float>(total)));
  }
}

void round_q8_blocks(float* x, int64_t n) {
  std::vector<int8_t> ints(static_cast<size_t>(n));
  std::vector<float> scales(static_cast<size_t>(n / 32));
  quantize_q8_blocks(x, n, ints.data(), scales.data());
  for (int64_t i = 0; i < n; ++i)
    x[i] = scales[static_cast<size_t>(i / 32)] * ints[static_cast<size_t>(i)];
}

void round_to_partner(ElementType storage, float* x, int64_t n) {
  const ElementType partner = activation_partner(storage);
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

template <typename Block>
const Block* block_at(const std::byte* row, int64_t index) {
  return reinterpret_cast<const Block*>(row) + index;
}

// The integers and scale of one weight block (Q4_1/Q5_1 also their minimum: the values are
// nibble·d + m): what GGML's integer dot products multiply with the activation blocks.
void unpack_block(const BlockQ4_1& block, int8_t* q, float& scale, float& min) {
  scale = fp16_to_fp32(block.d);
  min = fp16_to_fp32(block.m);
  for (int j = 0; j < kBlock32 / 2; ++j) {
    q[j] = static_cast<int8_t>(block.qs[j] & 0x0f);
    q[j + kBlock32 / 2] = static_cast<int8_t>(block.qs[j] >> 4);
  }
}

void unpack_block(const BlockQ5_1& block, int8_t* q, float& scale, float& min) {
  scale = fp16_to_fp32(block.d);
  min = fp16_to_fp32(block.m);
  uint32_t high = 0;
  std::memcpy(&high, block.qh, sizeof high);
  for (int j = 0; j < kBlock32 / 2; ++j) {
    const auto low_bit = static_cast<int>((high >> j) & 1u) << 4;
    const auto high_bit = static_cast<int>((high >> (j + kBlock32 / 2)) & 1u) << 4;
    q[j] = static_cast<int8_t>((block.qs[j] & 0x0f) | low_bit);
    q[j + kBlock32 / 2] = static_cast<int8_t>((block.qs[j] >> 4) | high_bit);
  }
}

void unpack_block(const BlockQ8_0& block, int8_t* q, float& scale, float& /*min*/) {
  scale = fp16_to_fp32(block.d);
  std::memcpy(q, block.qs, kBlock32);
}

void unpack_block(const BlockMXFP4& block, int8_t* q, float& scale, float& /*min*/) {
  scale = mxfp4_half_scale(block.e);
  for (int j = 0; j < kBlock32 / 2; ++j) {
    q[j] = kMxfp4DoubledValues[block.qs[j] & 0x0f];
    q[j + kBlock32 / 2] = kMxfp4DoubledValues[block.qs[j] >> 4];
  }
}

void unpack_block(const BlockIQ4_NL& block, int8_t* q, float& scale, float& /*min*/) {
  scale = fp16_to_fp32(block.d);
  for (int j = 0; j < kBlock32 / 2; ++j) {
    q[j] = kIq4Values[block.qs[j] & 0x0f];
    q[j + kBlock32 / 2] = kIq4Values[block.qs[j] >> 4];
  }
}

void unpack_block(const BlockQ4_0& block, int8_t* q, float& scale, float& /*min*/) {
  scale = fp16_to_fp32(block.d);
  for (int j = 0; j < kBlock32 / 2; ++j) {
    q[j] = static_cast<int8_t>((block.qs[j] & 0x0f) - 8);
    q[j + kBlock32 / 2] = static_cast<int8_t>((block.qs[j] >> 4) - 8);
  }
}

void unpack_block(const BlockQ5_0& block, int8_t* q, float& scale, float& /*min*/) {
  scale = fp16_to_fp32(block.d);
  uint32_t high = 0;
  std::memcpy(&high, block.qh, sizeof high);
  for (int j = 0; j < kBlock32 / 2; ++j) {
    const auto low_bit = static_cast<int>((high >> j) & 1u) << 4;
    const auto high_bit = static_cast<int>((high >> (j + kBlock32 / 2)) & 1u) << 4;
    q[j] = static_cast<int8_t>(((block.qs[j] & 0x0f) | low_bit) - 16);
    q[j + kBlock32 / 2] = static_cast<int8_t>(((block.qs[j] >> 4) | high_bit) - 16);
  }
}

template <typename Block>
void weight_block_ints(const std::byte* row, int64_t n_blocks, int8_t* ints, float* scales,
                       float* mins) {
  for (int64_t b = 0; b < n_blocks; ++b)
    unpack_block(*block_at<Block>(row, b), ints + b * kBlock32, scales[b], mins[b]);
}

// F16 and BF16 weights: activations rounded to the same type, products summed as tinyBLAS or
// ggml_vec_dot_f16/_bf16 sum them.
template <ggml_cpu::Operands Operands>
void half_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes) {
  std::vector<float> rounded(x, x + n_rows * w.cols);
  for (int64_t i = 0; i < n_rows; ++i)
    round_to_partner(w.type, rounded.data() + i * w.cols, w.cols);
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end, unsigned) {
    std::vector<float> row(static_cast<size_t>(w.cols));
    for (int64_t r = begin; r < end; ++r) {
      dequantize_row(w.type, w.row(r), row.data(), w.cols);
      for (int64_t i = 0; i < n_rows; ++i) {
        out[i * w.rows + r] = ggml_cpu::matrix_dot(
            Operands, row.data(), rounded.data() + i * w.cols, w.cols, w.rows, n_rows, lanes);
      }
    }
  });
}

// Super-block formats with their own GGML lanes (Q2_K, Q3_K, Q5_K, Q6_K, IQ4_XS): activations
// quantised to Q8_K, `Dot` per row (ggml_cpu_numerics.hpp).
template <float (*Dot)(const void* weights, const void* activations, int64_t n_super)>
void super_block_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                         ThreadPool& pool) {
  const int64_t n_super = w.cols / kSuperBlock;
  const uint64_t row_bytes = *bytes_for(ElementType::Q8_K, static_cast<uint64_t>(w.cols));
  std::vector<std::byte> activations(row_bytes * static_cast<uint64_t>(n_rows));
  for (int64_t i = 0; i < n_rows; ++i) {
    quantize_row(ElementType::Q8_K, x + i * w.cols,
                 activations.data() + row_bytes * static_cast<uint64_t>(i), w.cols);
  }
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end, unsigned) {
    for (int64_t r = begin; r < end; ++r) {
      for (int64_t i = 0; i < n_rows; ++i) {
        out[i * w.rows + r] =
            Dot(w.row(r), activations.data() + row_bytes * static_cast<uint64_t>(i), n_super);
      }
    }
  });
}

// In which order GGML sums the block products of a format with Q8_0 activations.
enum class BlockOrder {
  tinyblas,  // as tinyBLAS (and ggml_vec_dot for one row) sum them: ggml_cpu::q8_blocks_dot
  // IQ4_NL: one activation row through ggml_vec_dot's two alternating accumulators, batches
  // of rows as tinyBLAS.
  alternating_for_one_row,
  alternating,  // MXFP4 has no tinyBLAS kernel: every row takes ggml_vec_dot_mxfp4_q8_0's order
};

// 32-value block formats: activations quantised to Q8_0 (Q8_1 with the block sums where the
// format has block minima), integer products per block.
template <typename Block, bool Minima, BlockOrder Order>
void integer_block_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                           ThreadPool& pool) {
  const int64_t n_blocks = w.cols / kBlock32;
  std::vector<int8_t> x_ints(static_cast<size_t>(n_rows * w.cols));
  std::vector<float> x_scales(static_cast<size_t>(n_rows * n_blocks));
  std::vector<float> x_sums(Minima ? x_scales.size() : 0);
  for (int64_t i = 0; i < n_rows; ++i) {
    quantize_q8_blocks(x + i * w.cols, w.cols, x_ints.data() + i * w.cols,
                       x_scales.data() + i * n_blocks);
    if (Minima) {
      quantize_q8_1_sums(x + i * w.cols, w.cols, x_ints.data() + i * w.cols,
                         x_sums.data() + i * n_blocks);
    }
  }
  const bool alternating = Order == BlockOrder::alternating ||
                           (Order == BlockOrder::alternating_for_one_row && n_rows == 1);
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end, unsigned) {
    std::vector<int8_t> w_ints(static_cast<size_t>(w.cols));
    std::vector<float> w_scales(static_cast<size_t>(n_blocks));
    std::vector<float> w_mins(static_cast<size_t>(n_blocks));
    for (int64_t r = begin; r < end; ++r) {
      weight_block_ints<Block>(w.row(r), n_blocks, w_ints.data(), w_scales.data(), w_mins.data());
      for (int64_t i = 0; i < n_rows; ++i) {
        if (alternating) {
          out[i * w.rows + r] = ggml_cpu::q8_blocks_dot_alternating(
              w_ints.data(), w_scales.data(), x_ints.data() + i * w.cols,
              x_scales.data() + i * n_blocks, n_blocks);
          continue;
        }
        out[i * w.rows + r] = ggml_cpu::q8_blocks_dot(
            w_ints.data(), w_scales.data(), x_ints.data() + i * w.cols,
            x_scales.data() + i * n_blocks, n_blocks, Minima ? w_mins.data() : nullptr,
            Minima ? x_sums.data() + i * n_blocks : nullptr);
      }
    }
  });
}

}  // namespace

// The products of tensor/reference/rounded_activation_products.hpp, registered per format in
// tensor/cpu_format_traits.cpp.
namespace rounded_activation {

// F32 weights: float32 products fused into tinyBLAS's or ggml_vec_dot_f32's accumulators.
void f32_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                 ThreadPool& pool, int lanes) {
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end, unsigned) {
    for (int64_t r = begin; r < end; ++r) {
      const auto* row = reinterpret_cast<const float*>(w.row(r));
      for (int64_t i = 0; i < n_rows; ++i) {
        out[i * w.rows + r] = ggml_cpu::matrix_dot(ggml_cpu::Operands::f32, row, x + i * w.cols,
                                                   w.cols, w.rows, n_rows, lanes);
      }
    }
  });
}

void f16_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                 ThreadPool& pool, int lanes) {
  half_product<ggml_cpu::Operands::f16>(w, x, n_rows, out, pool, lanes);
}
void bf16_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes) {
  half_product<ggml_cpu::Operands::bf16>(w, x, n_rows, out, pool, lanes);
}

void q4_0_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  integer_block_product<BlockQ4_0, false, BlockOrder::tinyblas>(w, x, n_rows, out, pool);
}
void q4_1_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  integer_block_product<BlockQ4_1, true, BlockOrder::tinyblas>(w, x, n_rows, out, pool);
}
void q5_0_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  integer_block_product<BlockQ5_0, false, BlockOrder::tinyblas>(w, x, n_rows, out, pool);
}
void q5_1_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  integer_block_product<BlockQ5_1, true, BlockOrder::tinyblas>(w, x, n_rows, out, pool);
}
void q8_0_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  integer_block_product<BlockQ8_0, false, BlockOrder::tinyblas>(w, x, n_rows, out, pool);
}
void iq4_nl_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                    ThreadPool& pool, int) {
  integer_block_product<BlockIQ4_NL, false, BlockOrder::alternating_for_one_row>(w, x, n_rows, out,
                                                                                 pool);
}
void mxfp4_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                   ThreadPool& pool, int) {
  integer_block_product<BlockMXFP4, false, BlockOrder::alternating>(w, x, n_rows, out, pool);
}

void q2_k_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  super_block_product<ggml_cpu::q2_k_dot>(w, x, n_rows, out, pool);
}
void q3_k_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  super_block_product<ggml_cpu::q3_k_dot>(w, x, n_rows, out, pool);
}
void q5_k_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  super_block_product<ggml_cpu::q5_k_dot>(w, x, n_rows, out, pool);
}
void q6_k_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int) {
  super_block_product<ggml_cpu::q6_k_dot>(w, x, n_rows, out, pool);
}
void iq4_xs_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                    ThreadPool& pool, int) {
  super_block_product<ggml_cpu::iq4_xs_dot>(w, x, n_rows, out, pool);
}

}  // namespace rounded_activation

void RoundedActivationKernels::round_activations(ElementType partner_storage, float* x,
                                                 int64_t n) const {
  round_to_partner(partner_storage, x, n);
}

// GGML evaluates GELU through a half-precision table (ggml_cpu::table_gelu).
void RoundedActivationKernels::gelu_tanh_mul(const float* gate, const float* up, int64_t n,
                                             float* out) const {
  for (int64_t i = 0; i < n; ++i) out[i] = ggml_cpu::table_gelu(gate[i]) * up[i];
}

// The format's own product where it has one (cpu_format_traits); otherwise the reference
// product on activations rounded to the partner type (Q4_K: Q8_K), or on float32
// activations where the partner is F32.
void RoundedActivationKernels::matmul(const WeightMatrix& w, const float* x, int64_t n_rows,
                                      float* out, ThreadPool& pool) const {
  const CpuFormatTraits& format = cpu_format_traits(w.type);
  if (format.rounded_product != nullptr) {
    format.rounded_product(w, x, n_rows, out, pool, lanes_);
    return;
  }
  if (format.vec_dot_type == ElementType::F32) {
    ReferenceKernels::matmul(w, x, n_rows, out, pool);
    return;
  }
  std::vector<float> rounded(x, x + n_rows * w.cols);
  for (int64_t i = 0; i < n_rows; ++i)
    round_activations(w.type, rounded.data() + i * w.cols, w.cols);
  ReferenceKernels::matmul(w, rounded.data(), n_rows, out, pool);
}

void RoundedActivationKernels::rms_norm(const float* x, const float* weight, int64_t n, float eps,
                                        float* out) const {
  // Squares rounded to float, summed in double; mean and scale in float.
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i] * x[i]);
  const auto mean = static_cast<float>(sum / static_cast<double>(n));
  const float scale = 1.0f / std::sqrt(mean + eps);
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void RoundedActivationKernels::rope(float* x, const RopeShape& shape, int64_t position) const {
  const int64_t half = shape.n_rot / 2;
  // GGML steps the angle in float: θ_0 = position, θ_{i+1} = θ_i · base^(−2/n_rot). That
  // only describes plain frequencies (no per-dimension factors or scaling); others keep the
  // reference rotation.
  const auto step = half > 1 ? static_cast<float>(shape.inverse_frequencies[1]) : 1.0f;
  bool plain = half <= 1 || shape.inverse_frequencies[0] == 1.0;
  for (int64_t i = 2; plain && i < half; ++i) {
    plain = std::fabs(shape.inverse_frequencies[i] /
                          std::pow(shape.inverse_frequencies[1], static_cast<double>(i)) -
                      1.0) < 1e-6;
  }
  if (!plain) {
    ReferenceKernels::rope(x, shape, position);
    return;
  }
  auto theta = static_cast<float>(position);
  for (int64_t i = 0; i < half; ++i, theta *= step) {
    float angle = theta;
    float magnitude = 1.0f;
    if (shape.yarn != nullptr) {
      // GGML's order: the interpolated angle, mixed with the extrapolated one by the ramp;
      // GCC contracts GGML's interpolated·(1 − ramp) + extrapolated·ramp into this fused
      // multiply-add (found against llama.cpp's decode steps: the other pairing, or none,
      // moves a few angles by an ulp).
      const float interpolated = shape.yarn->frequency_scale * theta;
      const float ramp = shape.yarn->ramp[i];
      angle = std::fma(theta, ramp, interpolated * (1 - ramp));
      magnitude = shape.yarn->magnitude;
    }
    const float c = std::cos(angle) * magnitude;
    const float s = std::sin(angle) * magnitude;
    const int64_t first = shape.mode == RopeMode::normal ? 2 * i : i;
    const int64_t second = shape.mode == RopeMode::normal ? 2 * i + 1 : i + half;
    for (int64_t head = 0; head < shape.n_heads; ++head) {
      float* h = x + head * shape.head_dim;
      const float a = h[first];
      const float b = h[second];
      // GCC contracts GGML's a·c − b·s and a·s + b·c into these fused multiply-adds (seen
      // in its vectorised loop of the normal mode).
      h[first] = std::fma(a, c, -(b * s));
      h[second] = std::fma(a, s, b * c);
    }
  }
}

void RoundedActivationKernels::silu_mul(const float* gate, const float* up, int64_t n,
                                        float* out) const {
  // Whole vectors use GGML's vectorised exp; the tail past them libm's expf.
  const int64_t vectorised = n / lanes_ * lanes_;
  for (int64_t i = 0; i < n; ++i) {
    const float e = i < vectorised ? ggml_cpu::vector_expf(-gate[i], lanes_) : std::exp(-gate[i]);
    out[i] = gate[i] / (1.0f + e) * up[i];
  }
}

}  // namespace weft::tensor
