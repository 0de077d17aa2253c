// Reference quantisers of the K-quant formats (GGML's algorithms without importance
// weights). Every float expression keeps GGML's operand order so that the chosen codes,
// and so the bytes, are identical.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/formats/half.hpp"
#include "tensor/formats/kquant_search.hpp"
#include "tensor/formats/quant_reference.hpp"

namespace weft::tensor::ref {
namespace {

int clamp(int value, int low, int high) {
  return std::max(low, std::min(high, value));
}

// Q3_K's sub-block codes in [-nmax, nmax): start from the extreme value, then move single
// codes while the weighted fit improves. Codes are stored offset by nmax.
float q3_codes(int n, int nmax, const float* x, int8_t* codes) {
  float max = 0;
  float absmax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > absmax) {
      absmax = ax;
      max = x[i];
    }
  }
  if (absmax < kGroupMaxEps) {
    std::fill(codes, codes + n, int8_t{0});
    return 0.f;
  }
  const float iscale = static_cast<float>(-nmax) / max;
  float sumlx = 0;
  float suml2 = 0;
  for (int i = 0; i < n; ++i) {
    const int l = clamp(nearest_even(iscale * x[i]), -nmax, nmax - 1);
    codes[i] = static_cast<int8_t>(l);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * static_cast<float>(l);
    suml2 += w * static_cast<float>(l) * static_cast<float>(l);
  }
  for (int attempt = 0; attempt < 5; ++attempt) {
    int changed = 0;
    for (int i = 0; i < n; ++i) {
      const float w = x[i] * x[i];
      const auto current = static_cast<float>(codes[i]);
      float slx = sumlx - w * x[i] * current;
      if (slx > 0) {
        float sl2 = suml2 - w * current * current;
        const int candidate = clamp(nearest_even(x[i] * sl2 / slx), -nmax, nmax - 1);
        if (candidate != codes[i]) {
          const auto c = static_cast<float>(candidate);
          slx += w * x[i] * c;
          sl2 += w * c * c;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            codes[i] = static_cast<int8_t>(candidate);
            sumlx = slx;
            suml2 = sl2;
            ++changed;
          }
        }
      }
    }
    if (changed == 0) break;
  }
  for (int i = 0; i < n; ++i) codes[i] = static_cast<int8_t>(codes[i] + nmax);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

// Packs 256 2-bit codes: byte l of each 32-byte group holds codes l, l+32, l+64, l+96.
void pack_2bit(const uint8_t* codes, uint8_t* qs) {
  for (int base = 0; base < kSuperBlock; base += 128) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t* c = codes + base + l;
      qs[base / 4 + l] = static_cast<uint8_t>(c[0] | (c[32] << 2) | (c[64] << 4) | (c[96] << 6));
    }
  }
}

// Packs eight 6-bit (scale, min) pairs into Q4_K/Q5_K's 12 bytes.
void pack_k4_scales(const uint8_t* scales, const uint8_t* mins, uint8_t* packed) {
  for (int j = 0; j < 8; ++j) {
    if (j < 4) {
      packed[j] = scales[j];
      packed[j + 4] = mins[j];
    } else {
      packed[j + 4] = static_cast<uint8_t>((scales[j] & 0xf) | ((mins[j] & 0xf) << 4));
      packed[j - 4] |= static_cast<uint8_t>((scales[j] >> 4) << 6);
      packed[j] |= static_cast<uint8_t>((mins[j] >> 4) << 6);
    }
  }
}

// Shared by Q4_K and Q5_K: fits the eight 32-value sub-blocks, quantises their scales and
// mins to 6 bits, then requantises every value against the stored scales. Returns the
// codes in [0, nmax].
void k4_fit(const float* x, const OffsetSearch& search, uint16_t* d, uint16_t* dmin,
            uint8_t* packed_scales, uint8_t* codes) {
  float scales[8];
  float mins[8];
  float weights[kSuperBlock];
  for (int j = 0; j < 8; ++j) {
    const float* sub = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += sub[l] * sub[l];
    const float average = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[32 * j + l] = average + std::fabs(sub[l]);
  }
  fit_offset_codes<8, 32>(search, x, weights, codes, scales, mins);
  float max_scale = 0;
  float max_min = 0;
  for (int j = 0; j < 8; ++j) {
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  uint8_t scale_codes[8];
  uint8_t min_codes[8];
  for (int j = 0; j < 8; ++j) {
    // GGML stores nearest_int into a uint8_t before clamping: keep that wrap-around.
    scale_codes[j] =
        std::min<uint8_t>(63, static_cast<uint8_t>(nearest_even(inv_scale * scales[j])));
    min_codes[j] = std::min<uint8_t>(63, static_cast<uint8_t>(nearest_even(inv_min * mins[j])));
  }
  pack_k4_scales(scale_codes, min_codes, packed_scales);
  *d = fp32_to_fp16(max_scale / 63.f);
  *dmin = fp32_to_fp16(max_min / 63.f);
  for (int j = 0; j < 8; ++j) {
    const ScaleMin sm = k4_scale_min(packed_scales, j);
    const float scale = fp16_to_fp32(*d) * static_cast<float>(sm.scale);
    if (scale == 0.0f) continue;
    const float offset = fp16_to_fp32(*dmin) * static_cast<float>(sm.min);
    for (int l = 0; l < 32; ++l) {
      codes[32 * j + l] = static_cast<uint8_t>(
          clamp(nearest_even((x[32 * j + l] + offset) / scale), 0, search.nmax));
    }
  }
}

}  // namespace

void quantize(const float* src, BlockQ2_K* blocks, int64_t count) {
  constexpr float kScaleLevels = 15.f;
  const OffsetSearch search{3, -0.5f, 0.1f, 15, true};
  for (int64_t b = 0; b < count; ++b, src += kSuperBlock) {
    BlockQ2_K& block = blocks[b];
    uint8_t codes[kSuperBlock];
    float scales[16];
    float mins[16];
    float weights[kSuperBlock];
    for (int j = 0; j < kSuperBlock; ++j) weights[j] = std::fabs(src[j]);
    fit_offset_codes<16, 16>(search, src, weights, codes, scales, mins);
    float max_scale = 0;
    float max_min = 0;
    for (int j = 0; j < 16; ++j) {
      max_scale = std::max(max_scale, scales[j]);
      max_min = std::max(max_min, mins[j]);
    }
    if (max_scale > 0) {
      const float iscale = kScaleLevels / max_scale;
      for (int j = 0; j < 16; ++j)
        block.scales[j] = static_cast<uint8_t>(nearest_even(iscale * scales[j]));
      block.d = fp32_to_fp16(max_scale / kScaleLevels);
    } else {
      std::memset(block.scales, 0, sizeof block.scales);
      block.d = fp32_to_fp16(0.f);
    }
    if (max_min > 0) {
      const float iscale = kScaleLevels / max_min;
      for (int j = 0; j < 16; ++j) {
        block.scales[j] |= static_cast<uint8_t>(nearest_even(iscale * mins[j]) << 4);
      }
      block.dmin = fp32_to_fp16(max_min / kScaleLevels);
    } else {
      block.dmin = fp32_to_fp16(0.f);
    }
    for (int j = 0; j < 16; ++j) {
      const float scale = fp16_to_fp32(block.d) * static_cast<float>(block.scales[j] & 0xf);
      if (scale == 0.0f) continue;
      const float offset = fp16_to_fp32(block.dmin) * static_cast<float>(block.scales[j] >> 4);
      for (int l = 0; l < 16; ++l) {
        codes[16 * j + l] =
            static_cast<uint8_t>(clamp(nearest_even((src[16 * j + l] + offset) / scale), 0, 3));
      }
    }
    pack_2bit(codes, block.qs);
  }
}

void quantize(const float* src, BlockQ3_K* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kSuperBlock) {
    BlockQ3_K& block = blocks[b];
    int8_t signed_codes[kSuperBlock];
    float scales[16];
    float max_scale = 0;
    float absmax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = q3_codes(16, 4, src + 16 * j, signed_codes + 16 * j);
      if (std::fabs(scales[j]) > absmax) {
        absmax = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    std::memset(block.scales, 0, sizeof block.scales);
    if (max_scale != 0.0f) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        const int l = clamp(static_cast<int8_t>(nearest_even(iscale * scales[j])), -32, 31) + 32;
        if (j < 8) {
          block.scales[j] = static_cast<uint8_t>(l & 0xf);
        } else {
          block.scales[j - 8] |= static_cast<uint8_t>((l & 0xf) << 4);
        }
        block.scales[j % 4 + 8] |= static_cast<uint8_t>((l >> 4) << (2 * (j / 4)));
      }
      block.d = fp32_to_fp16(1 / iscale);
    } else {
      block.d = fp32_to_fp16(0.f);
    }
    int8_t stored_scales[16];
    q3k_scales(block.scales, stored_scales);
    uint8_t codes[kSuperBlock];
    for (int j = 0; j < kSuperBlock; ++j) codes[j] = static_cast<uint8_t>(signed_codes[j]);
    for (int j = 0; j < 16; ++j) {
      const float scale = fp16_to_fp32(block.d) * static_cast<float>(stored_scales[j]);
      if (scale == 0.0f) continue;
      for (int l = 0; l < 16; ++l) {
        codes[16 * j + l] =
            static_cast<uint8_t>(clamp(nearest_even(src[16 * j + l] / scale), -4, 3) + 4);
      }
    }
    // The third bit of value j goes to hmask byte j % 32, bit j / 32.
    std::memset(block.hmask, 0, sizeof block.hmask);
    for (int j = 0; j < kSuperBlock; ++j) {
      if (codes[j] > 3) {
        block.hmask[j % 32] |= static_cast<uint8_t>(1u << (j / 32));
        codes[j] = static_cast<uint8_t>(codes[j] - 4);
      }
    }
    pack_2bit(codes, block.qs);
  }
}

void quantize(const float* src, BlockQ4_K* blocks, int64_t count) {
  const OffsetSearch search{15, -1.f, 0.1f, 20, false};
  for (int64_t b = 0; b < count; ++b, src += kSuperBlock) {
    BlockQ4_K& block = blocks[b];
    uint8_t codes[kSuperBlock];
    k4_fit(src, search, &block.d, &block.dmin, block.scales, codes);
    for (int pair = 0; pair < 4; ++pair) {
      for (int l = 0; l < 32; ++l) {
        block.qs[32 * pair + l] =
            static_cast<uint8_t>(codes[64 * pair + l] | (codes[64 * pair + l + 32] << 4));
      }
    }
  }
}

void quantize(const float* src, BlockQ5_K* blocks, int64_t count) {
  const OffsetSearch search{31, -0.5f, 0.1f, 15, false};
  for (int64_t b = 0; b < count; ++b, src += kSuperBlock) {
    BlockQ5_K& block = blocks[b];
    uint8_t codes[kSuperBlock];
    k4_fit(src, search, &block.d, &block.dmin, block.scales, codes);
    std::memset(block.qh, 0, sizeof block.qh);
    for (int pair = 0; pair < 4; ++pair) {
      for (int l = 0; l < 32; ++l) {
        const int first = codes[64 * pair + l];
        const int second = codes[64 * pair + l + 32];
        block.qh[l] |=
            static_cast<uint8_t>(((first >> 4) << (2 * pair)) | ((second >> 4) << (2 * pair + 1)));
        block.qs[32 * pair + l] = static_cast<uint8_t>((first & 0xf) | ((second & 0xf) << 4));
      }
    }
  }
}

void quantize(const float* src, BlockQ6_K* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kSuperBlock) {
    BlockQ6_K& block = blocks[b];
    int8_t codes[kSuperBlock];
    float scales[16];
    float max_scale = 0;
    float max_abs_scale = 0;
    fit_symmetric_codes<16, 16>(32, src, codes, scales);
    for (int j = 0; j < 16; ++j) {
      if (std::fabs(scales[j]) > max_abs_scale) {
        max_abs_scale = std::fabs(scales[j]);
        max_scale = scales[j];
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(&block, 0, sizeof block);
      continue;
    }
    const float iscale = -128.f / max_scale;
    block.d = fp32_to_fp16(1 / iscale);
    for (int j = 0; j < 16; ++j) {
      block.scales[j] = static_cast<int8_t>(std::min(127, nearest_even(iscale * scales[j])));
    }
    for (int j = 0; j < 16; ++j) {
      const float scale = fp16_to_fp32(block.d) * static_cast<float>(block.scales[j]);
      if (scale == 0.0f) continue;
      for (int l = 0; l < 16; ++l) {
        codes[16 * j + l] =
            static_cast<int8_t>(clamp(nearest_even(src[16 * j + l] / scale), -32, 31) + 32);
      }
    }
    for (int half = 0; half < 2; ++half) {
      const int8_t* c = codes + 128 * half;
      uint8_t* ql = block.ql + 64 * half;
      uint8_t* qh = block.qh + 32 * half;
      for (int l = 0; l < 32; ++l) {
        ql[l] = static_cast<uint8_t>((c[l] & 0xf) | ((c[l + 64] & 0xf) << 4));
        ql[l + 32] = static_cast<uint8_t>((c[l + 32] & 0xf) | ((c[l + 96] & 0xf) << 4));
        qh[l] = static_cast<uint8_t>((c[l] >> 4) | ((c[l + 32] >> 4) << 2) |
                                     ((c[l + 64] >> 4) << 4) | ((c[l + 96] >> 4) << 6));
      }
    }
  }
}

void quantize(const float* src, BlockQ8_K* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kSuperBlock) {
    BlockQ8_K& block = blocks[b];
    float max = 0;
    float absmax = 0;
    for (int j = 0; j < kSuperBlock; ++j) {
      if (std::fabs(src[j]) > absmax) {
        absmax = std::fabs(src[j]);
        max = src[j];
      }
    }
    if (absmax == 0.0f) {
      std::memset(&block, 0, sizeof block);
      continue;
    }
    // -127 (not -128) keeps the codes symmetric, as GGML's SIMD dot kernels assume.
    const float iscale = -127.f / max;
    for (int j = 0; j < kSuperBlock; ++j) {
      block.qs[j] = static_cast<int8_t>(std::min(127, nearest_even(iscale * src[j])));
    }
    for (int j = 0; j < 16; ++j) {
      int sum = 0;
      for (int l = 0; l < 16; ++l) sum += block.qs[16 * j + l];
      block.bsums[j] = static_cast<int16_t>(sum);
    }
    block.d = 1 / iscale;
  }
}

}  // namespace weft::tensor::ref
