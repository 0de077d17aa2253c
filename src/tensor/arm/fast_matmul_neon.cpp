#include "tensor/arm/fast_matmul_neon.hpp"

#include "tensor/cpu_format_traits.hpp"

#if defined(__aarch64__)
#include <arm_neon.h>

#include <cstring>
#include <vector>

#include "tensor/formats/half.hpp"
#include "tensor/formats/quant_blocks.hpp"
#include "tensor/x86/activation_quant_avx2.hpp"

namespace weft::tensor {
namespace {

// Σ a·b over 32 int8 pairs (exact in int32).
inline int32_t dot_i8(int8x16_t a_low, int8x16_t a_high, const int8_t* b) {
  const int8x16_t b_low = vld1q_s8(b);
  const int8x16_t b_high = vld1q_s8(b + 16);
  int32x4_t sum = vdupq_n_s32(0);
  sum = vpadalq_s16(sum, vmull_s8(vget_low_s8(a_low), vget_low_s8(b_low)));
  sum = vpadalq_s16(sum, vmull_high_s8(a_low, b_low));
  sum = vpadalq_s16(sum, vmull_s8(vget_low_s8(a_high), vget_low_s8(b_high)));
  sum = vpadalq_s16(sum, vmull_high_s8(a_high, b_high));
  return vaddvq_s32(sum);
}

// Weight block → its 32 signed codes (low = values 0..15, high = 16..31) and scale.
inline void codes_of(const BlockQ8_0& block, int8x16_t& low, int8x16_t& high) {
  low = vld1q_s8(block.qs);
  high = vld1q_s8(block.qs + 16);
}
inline void codes_of(const BlockQ4_0& block, int8x16_t& low, int8x16_t& high) {
  const uint8x16_t packed = vld1q_u8(block.qs);
  const int8x16_t eight = vdupq_n_s8(8);
  low = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(packed, vdupq_n_u8(0x0f))), eight);
  high = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)), eight);
}

// One weight row against every activation row; the blocks are summed in order, so a row's
// result does not depend on the batch.
template <typename Block>
void row_products(const Block* w, const ActivationQ8* acts, int64_t blocks, int64_t n_rows,
                  float* out, int64_t out_stride) {
  for (int64_t i = 0; i < n_rows; ++i) {
    const ActivationQ8* a = acts + i * blocks;
    float sum = 0;
    for (int64_t b = 0; b < blocks; ++b) {
      int8x16_t low, high;
      codes_of(w[b], low, high);
      sum += fp16_to_fp32(w[b].d) * a[b].d * static_cast<float>(dot_i8(low, high, a[b].qs));
    }
    out[i * out_stride] = sum;
  }
}

inline float32x4_t load_weights(const float* w) {
  return vld1q_f32(w);
}
inline float32x4_t load_weights(const uint16_t* w) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(w)));
}
inline float weight_at(const float* w, int64_t k) {
  return w[k];
}
inline float weight_at(const uint16_t* w, int64_t k) {
  return fp16_to_fp32(w[k]);
}

template <typename Weight>
float float_dot(const Weight* w, const float* x, int64_t cols) {
  float32x4_t acc0 = vdupq_n_f32(0), acc1 = vdupq_n_f32(0);
  int64_t k = 0;
  for (; k + 8 <= cols; k += 8) {
    acc0 = vfmaq_f32(acc0, load_weights(w + k), vld1q_f32(x + k));
    acc1 = vfmaq_f32(acc1, load_weights(w + k + 4), vld1q_f32(x + k + 4));
  }
  float sum = vaddvq_f32(vaddq_f32(acc0, acc1));
  for (; k < cols; ++k) sum += weight_at(w, k) * x[k];
  return sum;
}

std::vector<ActivationQ8>& activation_buffer() {
  thread_local std::vector<ActivationQ8> buffer;  // grows only: no allocation per product
  return buffer;
}

}  // namespace

void neon_matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                 ThreadPool& pool) {
  if (w.type == ElementType::F32 || w.type == ElementType::F16) {
    pool.parallel_for(w.rows, [&](int64_t begin, int64_t end, unsigned) {
      for (int64_t r = begin; r < end; ++r) {
        for (int64_t i = 0; i < n_rows; ++i) {
          const float* xi = x + i * w.cols;
          out[i * w.rows + r] =
              w.type == ElementType::F32
                  ? float_dot(reinterpret_cast<const float*>(w.row(r)), xi, w.cols)
                  : float_dot(reinterpret_cast<const uint16_t*>(w.row(r)), xi, w.cols);
        }
      }
    });
    return;
  }
  const int64_t blocks = w.cols / kBlock32;
  auto& rounded = activation_buffer();
  if (rounded.size() < static_cast<size_t>(n_rows * blocks))
    rounded.resize(static_cast<size_t>(n_rows * blocks));
  for (int64_t i = 0; i < n_rows; ++i)
    quantize_activation_q8(x + i * w.cols, rounded.data() + i * blocks, w.cols);
  const ActivationQ8* acts = rounded.data();
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end, unsigned) {
    for (int64_t r = begin; r < end; ++r) {
      if (w.type == ElementType::Q8_0) {
        row_products(reinterpret_cast<const BlockQ8_0*>(w.row(r)), acts, blocks, n_rows, out + r,
                     w.rows);
      } else {
        row_products(reinterpret_cast<const BlockQ4_0*>(w.row(r)), acts, blocks, n_rows, out + r,
                     w.rows);
      }
    }
  });
}

}  // namespace weft::tensor

#else  // not aarch64: FastKernels never calls these

namespace weft::tensor {
void neon_matmul(const WeightMatrix&, const float*, int64_t, float*, ThreadPool&) {}
}  // namespace weft::tensor

#endif

namespace weft::tensor {

bool neon_matmul_supports(ElementType type) {
  return cpu_format_traits(type).neon_product != nullptr;
}

}  // namespace weft::tensor
