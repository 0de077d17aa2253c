// Reference dequantisers and quantisers of the non-linear 4-bit formats, IQ4_NL and IQ4_XS.
//
// Quantising follows GGML's algorithm without importance weights, as llama-quantize runs it
// (quantize_iq4_nl/_xs): per sub-block of 32, the scale that maps the value of largest
// magnitude onto the table's end, then 15 candidate scales around it, each value taking the
// nearest table entry, keeping the scale with the best weighted fit (weights x²). IQ4_XS then
// stores each sub-block's scale as a 6-bit multiple of one super-block scale and picks the
// codes again for the rounded scale. Every float expression keeps GGML's operand order so
// the bytes are identical.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/formats/half.hpp"
#include "tensor/formats/kquant_search.hpp"
#include "tensor/formats/quant_reference.hpp"

namespace weft::tensor::ref {
namespace {

constexpr int kTableSize = 16;
constexpr int kSubBlock = 32;
// Candidate scales on each side of the first guess (GGML's ntry for file quantisation).
constexpr int kScaleTries = 7;

// The table entry nearest to `x` (the lower one on a tie), by bisection of the sorted table.
int nearest_table_index(float x) {
  if (x <= kIq4Values[0]) return 0;
  if (x >= kIq4Values[kTableSize - 1]) return kTableSize - 1;
  int low = 0;
  int high = kTableSize - 1;
  while (high - low > 1) {
    const int middle = (low + high) / 2;
    if (x < kIq4Values[middle]) {
      high = middle;
    } else {
      low = middle;
    }
  }
  return x - kIq4Values[high - 1] < kIq4Values[high] - x ? high - 1 : high;
}

struct WeightedFit {
  float sumqx = 0;
  float sumq2 = 0;
};

// Σw·q·x and Σw·q² of the codes chosen for inverse scale `inverse`, weights w = x².
WeightedFit fit_for(const float* x, float inverse) {
  WeightedFit fit;
  for (int j = 0; j < kSubBlock; ++j) {
    const int l = nearest_table_index(inverse * x[j]);
    const float q = kIq4Values[l];
    const float w = x[j] * x[j];
    fit.sumqx += w * q * x[j];
    fit.sumq2 += w * q * q;
  }
  return fit;
}

// The best scale of one sub-block of 32 (0 when it is all zeros).
float best_sub_block_scale(const float* x) {
  float amax = 0;
  float max = 0;
  for (int j = 0; j < kSubBlock; ++j) {
    const float ax = std::fabs(x[j]);
    if (ax > amax) {
      amax = ax;
      max = x[j];
    }
  }
  if (amax < kGroupMaxEps) return 0;
  const float first_guess = -max / kIq4Values[0];
  WeightedFit fit = fit_for(x, 1 / first_guess);
  float d = fit.sumq2 > 0 ? fit.sumqx / fit.sumq2 : 0.f;
  float best = d * fit.sumqx;
  for (int attempt = -kScaleTries; attempt <= kScaleTries; ++attempt) {
    const float inverse = static_cast<float>(attempt + kIq4Values[0]) / max;
    fit = fit_for(x, inverse);
    if (fit.sumq2 > 0 && fit.sumqx * fit.sumqx > best * fit.sumq2) {
      d = fit.sumqx / fit.sumq2;
      best = d * fit.sumqx;
    }
  }
  return d;
}

void codes_for_scale(const float* x, float scale, uint8_t* codes, int n) {
  const float inverse = scale != 0 ? 1 / scale : 0.f;
  for (int j = 0; j < n; ++j) codes[j] = static_cast<uint8_t>(nearest_table_index(inverse * x[j]));
}

// Two codes per byte: value j of a sub-block in the low nibble, value j + 16 in the high.
void pack_code_nibbles(const uint8_t* codes, uint8_t* qs, int n) {
  for (int sub = 0; sub < n / kSubBlock; ++sub) {
    for (int j = 0; j < kSubBlock / 2; ++j) {
      qs[kSubBlock / 2 * sub + j] = static_cast<uint8_t>(
          codes[kSubBlock * sub + j] | (codes[kSubBlock * sub + kSubBlock / 2 + j] << 4));
    }
  }
}

void dequantize_sub_block(const uint8_t* qs, float scale, float* dst) {
  for (int j = 0; j < kSubBlock / 2; ++j) {
    dst[j] = scale * kIq4Values[qs[j] & 0xf];
    dst[j + kSubBlock / 2] = scale * kIq4Values[qs[j] >> 4];
  }
}

}  // namespace

void dequantize(const BlockIQ4_NL* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b, dst += kSubBlock) {
    dequantize_sub_block(blocks[b].qs, fp16_to_fp32(blocks[b].d), dst);
  }
}

void dequantize(const BlockIQ4_XS* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b) {
    const float d = fp16_to_fp32(blocks[b].d);
    for (int sub = 0; sub < kSuperBlock / kSubBlock; ++sub, dst += kSubBlock) {
      const float scale = d * static_cast<float>(iq4_xs_scale(blocks[b], sub));
      dequantize_sub_block(blocks[b].qs + kSubBlock / 2 * sub, scale, dst);
    }
  }
}

void quantize(const float* src, BlockIQ4_NL* blocks, int64_t count) {
  uint8_t codes[kSubBlock];
  for (int64_t b = 0; b < count; ++b, src += kSubBlock) {
    const float scale = best_sub_block_scale(src);
    blocks[b].d = fp32_to_fp16(scale);
    codes_for_scale(src, scale, codes, kSubBlock);
    pack_code_nibbles(codes, blocks[b].qs, kSubBlock);
  }
}

void quantize(const float* src, BlockIQ4_XS* blocks, int64_t count) {
  constexpr int kSubBlocks = kSuperBlock / kSubBlock;
  uint8_t codes[kSuperBlock];
  float scales[kSubBlocks];
  for (int64_t b = 0; b < count; ++b, src += kSuperBlock) {
    BlockIQ4_XS& block = blocks[b];
    float max_scale = 0;
    float amax_scale = 0;
    for (int sub = 0; sub < kSubBlocks; ++sub) {
      scales[sub] = best_sub_block_scale(src + kSubBlock * sub);
      if (std::fabs(scales[sub]) > amax_scale) {
        amax_scale = std::fabs(scales[sub]);
        max_scale = scales[sub];
      }
    }
    // The scale of largest magnitude becomes −32 (the end of the 6-bit range with most room).
    const float d = -max_scale / 32;
    block.d = fp32_to_fp16(d);
    block.scales_h = 0;
    const float inverse = d != 0 ? 1 / d : 0.f;
    for (int sub = 0; sub < kSubBlocks; ++sub) {
      const int l = std::clamp(nearest_even(inverse * scales[sub]), -32, 31);
      codes_for_scale(src + kSubBlock * sub, d * static_cast<float>(l), codes + kSubBlock * sub,
                      kSubBlock);
      const auto stored = static_cast<unsigned>(l + 32);
      if (sub % 2 == 0) {
        block.scales_l[sub / 2] = static_cast<uint8_t>(stored & 0xf);
      } else {
        block.scales_l[sub / 2] |= static_cast<uint8_t>((stored & 0xf) << 4);
      }
      block.scales_h = static_cast<uint16_t>(block.scales_h | ((stored >> 4) << (2 * sub)));
    }
    pack_code_nibbles(codes, block.qs, kSuperBlock);
  }
}

}  // namespace weft::tensor::ref
