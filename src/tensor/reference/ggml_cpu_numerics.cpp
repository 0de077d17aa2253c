#include "tensor/reference/ggml_cpu_numerics.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>

#include "tensor/formats/half.hpp"
#include "tensor/formats/quant_blocks.hpp"

namespace weft::tensor::ggml_cpu {
namespace {

// GGML's vec_dot_f16 keeps four vector accumulators and consumes 4·lanes values a step.
constexpr int kAccumulators = 4;

// Pairwise sum of a vector register as tinyBLAS's hsum and GCC's _mm512_reduce_add_ps do
// it: halves added lane by lane until one lane is left (i + width/2, then i + width/4, …).
float halving_sum(float* lane, int width) {
  for (int half = width / 2; half >= 1; half /= 2) {
    for (int i = 0; i < half; ++i) lane[i] += lane[i + half];
  }
  return lane[0];
}

// The last step of GGML_F32x8_REDUCE (AVX2): the two 128-bit halves added, then two
// horizontal adds: (t0 + t1) + (t2 + t3).
float avx2_reduce(const float* lane) {
  float t[4];
  for (int i = 0; i < 4; ++i) t[i] = lane[i] + lane[i + 4];
  return (t[0] + t[1]) + (t[2] + t[3]);
}

// One block of 32 int8 products into eight float lanes, as GGML's AVX2 block kernels add it:
// lane j += scale × (the integer sum of products 4j..4j+3).
void fuse_block_into_lanes(const int8_t* x, const int8_t* y, float scale, float* lane) {
  for (int j = 0; j < 8; ++j) {
    int32_t quad = 0;
    for (int t = 0; t < 4; ++t) quad += int32_t{x[4 * j + t]} * int32_t{y[4 * j + t]};
    lane[j] = std::fma(scale, static_cast<float>(quad), lane[j]);
  }
}

}  // namespace

bool uses_sgemm(int64_t m, int64_t n, int64_t k, int lanes) {
  // tinyBLAS serves prompt batches only (n ≥ 2), whole vectors of k, and m in fours.
  return n >= 2 && k % lanes == 0 && m % 4 == 0;
}

float sgemm_dot(const float* a, const float* b, int64_t n, int lanes) {
  float lane[kAvx512Lanes] = {};
  for (int64_t i = 0; i < n; i += lanes) {
    for (int j = 0; j < lanes; ++j) lane[j] = std::fma(a[i + j], b[i + j], lane[j]);
  }
  return halving_sum(lane, lanes);
}

namespace {

// The vectorised part of ggml_vec_dot_*: four accumulators folded as (0+2) + (1+3), then
// the lanes: by horizontal adds for F32/F16 on AVX2, pairwise otherwise.
float vector_part(Operands operands, const float* a, const float* b, int64_t vectorised,
                  int lanes) {
  const int64_t step = int64_t{kAccumulators} * lanes;
  float acc[kAccumulators][kAvx512Lanes] = {};
  for (int64_t i = 0; i < vectorised; i += step) {
    for (int r = 0; r < kAccumulators; ++r) {
      for (int j = 0; j < lanes; ++j) {
        acc[r][j] = std::fma(a[i + r * lanes + j], b[i + r * lanes + j], acc[r][j]);
      }
    }
  }
  for (int j = 0; j < lanes; ++j) {
    acc[0][j] += acc[2][j];
    acc[1][j] += acc[3][j];
  }
  for (int j = 0; j < lanes; ++j) acc[0][j] += acc[1][j];
  const bool horizontal_adds = lanes == kAvx2Lanes && operands != Operands::bf16;
  return horizontal_adds ? avx2_reduce(acc[0]) : halving_sum(acc[0], lanes);
}

int64_t vectorised_length(int64_t n, int lanes) {
  const int64_t step = int64_t{kAccumulators} * lanes;
  return n / step * step;
}

// ggml_vec_dot_f32's tail `sum += x·y`, as GCC vectorises it: groups of 8, then 4, with the
// products rounded and added in order; the last few fused into multiply-adds.
float float_tail(const float* a, const float* b, int64_t from, int64_t n, float sum) {
  int64_t i = from;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) sum += a[i + j] * b[i + j];
  }
  if (i + 4 <= n) {
    for (int j = 0; j < 4; ++j) sum += a[i + j] * b[i + j];
    i += 4;
  }
  for (; i < n; ++i) sum = std::fma(a[i], b[i], sum);
  return sum;
}

}  // namespace

float vec_dot(Operands operands, const float* a, const float* b, int64_t n, int lanes) {
  const int64_t vectorised = vectorised_length(n, lanes);
  const float vector_sum = vector_part(operands, a, b, vectorised, lanes);
  if (operands == Operands::f32) return float_tail(a, b, vectorised, n, vector_sum);
  double sum = vector_sum;
  for (int64_t i = vectorised; i < n; ++i) sum += static_cast<double>(a[i] * b[i]);
  return static_cast<float>(sum);
}

float matrix_dot(Operands operands, const float* a, const float* b, int64_t k, int64_t m, int64_t n,
                 int lanes) {
  if (uses_sgemm(m, n, k, lanes)) return sgemm_dot(a, b, k, lanes);
  return vec_dot(operands, a, b, k, lanes);
}

float q8_blocks_dot(const int8_t* qa, const float* da, const int8_t* qb, const float* db,
                    int64_t n_blocks, const float* mins_a, const float* sums_b) {
  constexpr int kLanes = 8;
  float lane[kLanes] = {};
  float offsets = 0;
  for (int64_t block = 0; block < n_blocks; ++block) {
    if (mins_a != nullptr) offsets = std::fma(mins_a[block], sums_b[block], offsets);
    fuse_block_into_lanes(qa + block * 32, qb + block * 32, da[block] * db[block], lane);
  }
  const float sum = halving_sum(lane, kLanes);
  return mins_a != nullptr ? sum + offsets : sum;
}

float q8_blocks_dot_alternating(const int8_t* qa, const float* da, const int8_t* qb,
                                const float* db, int64_t n_blocks) {
  constexpr int kLanes = 8;
  float lanes[2][kLanes] = {};
  const int64_t paired = n_blocks / 2 * 2;
  for (int64_t block = 0; block < paired; ++block) {
    fuse_block_into_lanes(qa + block * 32, qb + block * 32, db[block] * da[block],
                          lanes[block % 2]);
  }
  for (int j = 0; j < kLanes; ++j) lanes[0][j] += lanes[1][j];
  float sum = halving_sum(lanes[0], kLanes);
  for (int64_t block = paired; block < n_blocks; ++block) {
    int32_t total = 0;
    for (int t = 0; t < 32; ++t) total += int32_t{qa[block * 32 + t]} * int32_t{qb[block * 32 + t]};
    // GCC contracts GGML's sumf += d·Σ into a fused multiply-add when FMA is on (it is, with AVX2).
    sum = std::fma(db[block] * da[block], static_cast<float>(total), sum);
  }
  return sum;
}

float iq4_xs_dot(const void* weights, const void* activations, int64_t n_super) {
  constexpr int kLanes = 8;
  const auto* w = static_cast<const BlockIQ4_XS*>(weights);
  const auto* x = static_cast<const BlockQ8_K*>(activations);
  float lane[kLanes] = {};
  for (int64_t b = 0; b < n_super; ++b) {
    int32_t sums[kLanes] = {};
    for (int sub = 0; sub < kSuperBlock / 32; ++sub) {
      const int scale = iq4_xs_scale(w[b], sub);
      const uint8_t* qs = w[b].qs + 16 * sub;
      const int8_t* q8 = x[b].qs + 32 * sub;
      for (int k = 0; k < kLanes; ++k) {
        int32_t quad = 0;
        for (int t = 0; t < 4; ++t) {
          const int e = 4 * k + t;
          const int nibble = e < 16 ? qs[e] & 0xf : qs[e - 16] >> 4;
          quad += int32_t{kIq4Values[nibble]} * int32_t{q8[e]};
        }
        sums[k] += scale * quad;
      }
    }
    const float d = fp16_to_fp32(w[b].d) * x[b].d;
    for (int k = 0; k < kLanes; ++k) lane[k] = std::fma(d, static_cast<float>(sums[k]), lane[k]);
  }
  return halving_sum(lane, kLanes);
}

float q6_k_dot(const void* weights, const void* activations, int64_t n_super) {
  constexpr int kLanes = 8;
  const auto* w = static_cast<const BlockQ6_K*>(weights);
  const auto* x = static_cast<const BlockQ8_K*>(activations);
  float lane[kLanes] = {};
  for (int64_t b = 0; b < n_super; ++b) {
    // The unsigned 6-bit values in element order (ql low/high nibbles, two bits of qh each).
    uint8_t u[kSuperBlock];
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = w[b].ql + 64 * half;
      const uint8_t* qh = w[b].qh + 32 * half;
      uint8_t* out = u + 128 * half;
      for (int l = 0; l < 32; ++l) {
        out[l] = static_cast<uint8_t>((ql[l] & 0x0f) | ((qh[l] & 0x03) << 4));
        out[l + 32] = static_cast<uint8_t>((ql[l + 32] & 0x0f) | ((qh[l] & 0x0c) << 2));
        out[l + 64] = static_cast<uint8_t>((ql[l] >> 4) | (qh[l] & 0x30));
        out[l + 96] = static_cast<uint8_t>((ql[l + 32] >> 4) | ((qh[l] & 0xc0) >> 2));
      }
    }
    const int8_t* q8 = x[b].qs;
    const int8_t* scales = w[b].scales;
    const float d = x[b].d * fp16_to_fp32(w[b].d);
    for (int k = 0; k < kLanes; ++k) {
      int32_t sum = 0;
      for (int chunk = 0; chunk < kSuperBlock / 32; ++chunk) {
        for (int t = 0; t < 4; ++t) {
          const int e = 32 * chunk + 4 * k + t;
          sum += scales[e / 16] * u[e] * q8[e];
        }
      }
      for (int e = 32 * k; e < 32 * k + 32; ++e) sum -= 32 * scales[e / 16] * q8[e];
      lane[k] = std::fma(d, static_cast<float>(sum), lane[k]);
    }
  }
  return halving_sum(lane, kLanes);
}

namespace {

// The 6-bit scale and minimum of sub-block j of a Q4_K/Q5_K super-block, packed in 12 bytes.
void scale_and_min(const uint8_t* packed, int j, int& scale, int& min) {
  if (j < 4) {
    scale = packed[j] & 63;
    min = packed[j + 4] & 63;
  } else {
    scale = (packed[j + 4] & 0x0f) | ((packed[j - 4] >> 6) << 4);
    min = (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4);
  }
}

}  // namespace

float q5_k_dot(const void* weights, const void* activations, int64_t n_super) {
  constexpr int kLanes = 8;
  const auto* w = static_cast<const BlockQ5_K*>(weights);
  const auto* x = static_cast<const BlockQ8_K*>(activations);
  float lane[kLanes] = {};
  float minima = 0;
  for (int64_t b = 0; b < n_super; ++b) {
    int scales[8];
    int mins[8];
    for (int j = 0; j < 8; ++j) scale_and_min(w[b].scales, j, scales[j], mins[j]);
    // The unsigned 5-bit values in element order: pairs of 32 share 32 bytes of nibbles.
    uint8_t u[kSuperBlock];
    for (int pair = 0; pair < 4; ++pair) {
      for (int l = 0; l < 32; ++l) {
        const uint8_t nibbles = w[b].qs[32 * pair + l];
        const uint8_t high = w[b].qh[l];
        u[64 * pair + l] =
            static_cast<uint8_t>((nibbles & 0x0f) | (((high >> (2 * pair)) & 1) << 4));
        u[64 * pair + 32 + l] =
            static_cast<uint8_t>((nibbles >> 4) | (((high >> (2 * pair + 1)) & 1) << 4));
      }
    }
    const int8_t* q8 = x[b].qs;
    int32_t min_sum = 0;
    for (int c = 0; c < 8; ++c) min_sum += mins[c] * (x[b].bsums[2 * c] + x[b].bsums[2 * c + 1]);
    const float dmin = -x[b].d * fp16_to_fp32(w[b].dmin);
    minima = std::fma(dmin, static_cast<float>(min_sum), minima);
    const float d = x[b].d * fp16_to_fp32(w[b].d);
    for (int k = 0; k < kLanes; ++k) {
      int32_t sum = 0;
      for (int c = 0; c < 8; ++c) {
        for (int t = 0; t < 4; ++t) {
          const int e = 32 * c + 4 * k + t;
          sum += scales[c] * u[e] * q8[e];
        }
      }
      lane[k] = std::fma(d, static_cast<float>(sum), lane[k]);
    }
  }
  return halving_sum(lane, kLanes) + minima;
}

float q2_k_dot(const void* weights, const void* activations, int64_t n_super) {
  constexpr int kLanes = 8;
  const auto* w = static_cast<const BlockQ2_K*>(weights);
  const auto* x = static_cast<const BlockQ8_K*>(activations);
  float lane[kLanes] = {};
  for (int64_t b = 0; b < n_super; ++b) {
    // The 2-bit values in element order: each 32 bytes hold four runs of 32.
    uint8_t u[kSuperBlock];
    for (int half = 0; half < 2; ++half) {
      for (int shift = 0; shift < 4; ++shift) {
        for (int l = 0; l < 32; ++l) {
          u[128 * half + 32 * shift + l] =
              static_cast<uint8_t>((w[b].qs[32 * half + l] >> (2 * shift)) & 3);
        }
      }
    }
    const int8_t* q8 = x[b].qs;
    const uint8_t* scales = w[b].scales;
    const float d = x[b].d * fp16_to_fp32(w[b].d);
    const float dmin = -x[b].d * fp16_to_fp32(w[b].dmin);
    for (int k = 0; k < kLanes; ++k) {
      const int32_t min_sum = (scales[2 * k] >> 4) * x[b].bsums[2 * k] +
                              (scales[2 * k + 1] >> 4) * x[b].bsums[2 * k + 1];
      lane[k] = std::fma(dmin, static_cast<float>(min_sum), lane[k]);
    }
    for (int k = 0; k < kLanes; ++k) {
      int32_t sum = 0;
      for (int c = 0; c < 8; ++c) {
        for (int t = 0; t < 4; ++t) {
          const int e = 32 * c + 4 * k + t;
          sum += (scales[e / 16] & 0x0f) * u[e] * q8[e];
        }
      }
      lane[k] = std::fma(d, static_cast<float>(sum), lane[k]);
    }
  }
  return halving_sum(lane, kLanes);
}

float q3_k_dot(const void* weights, const void* activations, int64_t n_super) {
  constexpr int kLanes = 8;
  const auto* w = static_cast<const BlockQ3_K*>(weights);
  const auto* x = static_cast<const BlockQ8_K*>(activations);
  float lane[kLanes] = {};
  for (int64_t b = 0; b < n_super; ++b) {
    // Sixteen 6-bit scales: low nibbles from the first 8 bytes, two high bits from the last 4.
    uint32_t packed[3];
    std::memcpy(packed, w[b].scales, sizeof packed);
    constexpr uint32_t kLow4 = 0x0f0f0f0f;
    constexpr uint32_t kLow2 = 0x03030303;
    const uint32_t words[4] = {(packed[0] & kLow4) | (((packed[2] >> 0) & kLow2) << 4),
                               (packed[1] & kLow4) | (((packed[2] >> 2) & kLow2) << 4),
                               ((packed[0] >> 4) & kLow4) | (((packed[2] >> 4) & kLow2) << 4),
                               ((packed[1] >> 4) & kLow4) | (((packed[2] >> 6) & kLow2) << 4)};
    int scales[16];
    for (int i = 0; i < 16; ++i)
      scales[i] = static_cast<int>((words[i / 4] >> (8 * (i % 4))) & 0xff) - 32;
    // Signed values in element order: two low bits, minus 4 where the hmask bit is clear.
    int8_t q[kSuperBlock];
    for (int half = 0; half < 2; ++half) {
      for (int shift = 0; shift < 4; ++shift) {
        const int bit = 4 * half + shift;
        for (int l = 0; l < 32; ++l) {
          const int low = (w[b].qs[32 * half + l] >> (2 * shift)) & 3;
          const int minus = ((w[b].hmask[l] >> bit) & 1) != 0 ? 0 : 4;
          q[128 * half + 32 * shift + l] = static_cast<int8_t>(low - minus);
        }
      }
    }
    const int8_t* q8 = x[b].qs;
    const float d = x[b].d * fp16_to_fp32(w[b].d);
    for (int k = 0; k < kLanes; ++k) {
      int32_t sum = 0;
      for (int c = 0; c < 8; ++c) {
        for (int t = 0; t < 4; ++t) {
          const int e = 32 * c + 4 * k + t;
          sum += scales[e / 16] * q[e] * q8[e];
        }
      }
      lane[k] = std::fma(d, static_cast<float>(sum), lane[k]);
    }
  }
  return halving_sum(lane, kLanes);
}

// exp(x) = 2^n · e^b with n = round(x·log2 e) and b the remainder (log 2 split in two
// parts), e^b − 1 by a degree-5 polynomial; the AVX2 and AVX-512 variants assemble the last
// steps differently (and so round differently).
float vector_expf(float x, int lanes) {
  const float shifter = 0x1.8p23f;
  const float z = std::fma(x, 0x1.715476p+0f, shifter);
  const float n = z - shifter;
  const float b = std::fma(-n, 0x1.7f7d1cp-20f, std::fma(-n, 0x1.62e4p-1f, x));
  const float u = b * b;
  const float high = std::fma(std::fma(0x1.0e4020p-7f, b, 0x1.573e2ep-5f), u,
                              std::fma(0x1.555e66p-3f, b, 0x1.fffdb6p-2f));
  if (lanes == kAvx512Lanes) {
    const float j = std::fma(high, u, std::fma(0x1.ffffecp-1f, b, 1.0f));
    if (std::fabs(n) > 192) return n <= 0 ? 0.0f : INFINITY;
    return std::ldexp(j, static_cast<int>(n));  // scalef: exact scaling by 2^n
  }
  const float j = std::fma(high, u, 0x1.ffffecp-1f * b);
  const uint32_t e = std::bit_cast<uint32_t>(z) << 23;
  const float k = std::bit_cast<float>(e + std::bit_cast<uint32_t>(1.0f));
  if (!(std::fabs(n) > 126)) return std::fma(j, k, k);
  // Far from 1 the scale 2^n is built from two factors so that it neither overflows nor
  // flushes early.
  const uint32_t g = n <= 0 ? 0x82000000u : 0u;
  const float s1 = std::bit_cast<float>(g + 0x7f000000u);
  const float s2 = std::bit_cast<float>(e - g);
  if (std::fabs(n) > 192) return s1 * s1;
  return std::fma(s2, j, s2) * s1;
}

void softmax(float* x, int64_t n, int lanes, const float* sink) {
  float max = *std::max_element(x, x + n);
  if (sink != nullptr) max = std::max(max, *sink);
  double sum = 0;
  const int64_t whole = n / lanes * lanes;
  for (int64_t chunk = 0; chunk < whole; chunk += lanes) {
    float lane[kAvx512Lanes] = {};
    for (int j = 0; j < lanes; ++j) {
      x[chunk + j] = vector_expf(x[chunk + j] - max, lanes);
      lane[j] = x[chunk + j];
    }
    sum += halving_sum(lane, lanes);
  }
  // Past the whole vectors GGML takes libm's expf, adding each value in double (a router of
  // fewer experts than lanes, gpt-oss's softmax over the chosen few).
  for (int64_t i = whole; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += static_cast<double>(x[i]);
  }
  if (sink != nullptr) sum += static_cast<double>(std::exp(*sink - max));
  const auto inverse = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inverse;
}

int64_t padded_cells(int64_t used) {
  constexpr int64_t kPad = 32;
  return std::max(kPad, (used + kPad - 1) / kPad * kPad);
}

namespace {

// GGML's GELU table: the half-precision result for each of the 65,536 half-precision
// inputs, computed once, so that an element costs a lookup instead of a tanh.
const std::array<uint16_t, 65536>& gelu_half_table() {
  static const std::array<uint16_t, 65536> table = [] {
    constexpr float kSqrt2OverPi = 0.79788456080286535587989211986876f;
    constexpr float kCubicCoefficient = 0.044715f;
    std::array<uint16_t, 65536> results{};
    for (uint32_t bits = 0; bits < results.size(); ++bits) {
      const float h = fp16_to_fp32(static_cast<uint16_t>(bits));
      const float gelu =
          0.5f * h * (1.0f + std::tanh(kSqrt2OverPi * h * (1.0f + kCubicCoefficient * h * h)));
      results[bits] = fp32_to_fp16(gelu);
    }
    return results;
  }();
  return table;
}

}  // namespace

float table_gelu(float x) {
  constexpr float kTableLimit = 10.0f;
  if (x <= -kTableLimit) return 0.0f;
  if (x >= kTableLimit) return x;
  return fp16_to_fp32(gelu_half_table()[fp32_to_fp16(x)]);
}

}  // namespace weft::tensor::ggml_cpu
