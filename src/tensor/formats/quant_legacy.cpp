// The 32-value block formats: Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "tensor/formats/half.hpp"
#include "tensor/formats/quant_reference.hpp"

namespace weft::tensor::ref {
namespace {

constexpr int kHalf = kBlock32 / 2;

uint32_t load_high_bits(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  return bits;
}

void store_high_bits(uint8_t* qh, uint32_t bits) {
  std::memcpy(qh, &bits, sizeof bits);
}

// The value of largest magnitude, sign kept (the first one on ties).
float signed_absmax(const float* x, int n) {
  float magnitude = 0.0f;
  float value = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (magnitude < std::fabs(x[j])) {
      magnitude = std::fabs(x[j]);
      value = x[j];
    }
  }
  return value;
}

struct Range {
  float min;
  float max;
};
Range range_of(const float* x, int n) {
  Range range{FLT_MAX, -FLT_MAX};
  for (int j = 0; j < n; ++j) {
    range.min = std::min(range.min, x[j]);
    range.max = std::max(range.max, x[j]);
  }
  return range;
}

// C's float -> integer conversion (truncation toward zero) of a value known to be in range.
int truncate(float value) {
  return static_cast<int>(value);
}

}  // namespace

void dequantize(const BlockQ4_0* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b, dst += kBlock32) {
    const float d = fp16_to_fp32(blocks[b].d);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = static_cast<float>((blocks[b].qs[j] & 0xf) - 8) * d;
      dst[j + kHalf] = static_cast<float>((blocks[b].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize(const BlockQ4_1* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b, dst += kBlock32) {
    const float d = fp16_to_fp32(blocks[b].d);
    const float m = fp16_to_fp32(blocks[b].m);
    for (int j = 0; j < kHalf; ++j) {
      dst[j] = static_cast<float>(blocks[b].qs[j] & 0xf) * d + m;
      dst[j + kHalf] = static_cast<float>(blocks[b].qs[j] >> 4) * d + m;
    }
  }
}

void dequantize(const BlockQ5_0* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b, dst += kBlock32) {
    const float d = fp16_to_fp32(blocks[b].d);
    const uint32_t high = load_high_bits(blocks[b].qh);
    for (int j = 0; j < kHalf; ++j) {
      const int low_fifth = static_cast<int>((high >> j) & 1u) << 4;
      const int high_fifth = static_cast<int>((high >> (j + kHalf)) & 1u) << 4;
      dst[j] = static_cast<float>(((blocks[b].qs[j] & 0xf) | low_fifth) - 16) * d;
      dst[j + kHalf] = static_cast<float>(((blocks[b].qs[j] >> 4) | high_fifth) - 16) * d;
    }
  }
}

void dequantize(const BlockQ5_1* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b, dst += kBlock32) {
    const float d = fp16_to_fp32(blocks[b].d);
    const float m = fp16_to_fp32(blocks[b].m);
    const uint32_t high = load_high_bits(blocks[b].qh);
    for (int j = 0; j < kHalf; ++j) {
      const int low_fifth = static_cast<int>((high >> j) & 1u) << 4;
      const int high_fifth = static_cast<int>((high >> (j + kHalf)) & 1u) << 4;
      dst[j] = static_cast<float>((blocks[b].qs[j] & 0xf) | low_fifth) * d + m;
      dst[j + kHalf] = static_cast<float>((blocks[b].qs[j] >> 4) | high_fifth) * d + m;
    }
  }
}

void dequantize(const BlockQ8_0* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b, dst += kBlock32) {
    const float d = fp16_to_fp32(blocks[b].d);
    for (int j = 0; j < kBlock32; ++j) dst[j] = static_cast<float>(blocks[b].qs[j]) * d;
  }
}

void dequantize(const BlockQ8_1* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b, dst += kBlock32) {
    const float d = fp16_to_fp32(blocks[b].d);
    for (int j = 0; j < kBlock32; ++j) dst[j] = static_cast<float>(blocks[b].qs[j]) * d;
  }
}

void quantize(const float* src, BlockQ4_0* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kBlock32) {
    // Mapping the extreme value to -8 uses the asymmetric code range fully.
    const float d = signed_absmax(src, kBlock32) / -8;
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = fp32_to_fp16(d);
    for (int j = 0; j < kHalf; ++j) {
      const int low = std::min(15, truncate(src[j] * inverse + 8.5f));
      const int high = std::min(15, truncate(src[j + kHalf] * inverse + 8.5f));
      blocks[b].qs[j] = static_cast<uint8_t>(low | (high << 4));
    }
  }
}

void quantize(const float* src, BlockQ4_1* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kBlock32) {
    const Range range = range_of(src, kBlock32);
    const float d = (range.max - range.min) / 15;
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = fp32_to_fp16(d);
    blocks[b].m = fp32_to_fp16(range.min);
    for (int j = 0; j < kHalf; ++j) {
      const int low = std::min(15, truncate((src[j] - range.min) * inverse + 0.5f));
      const int high = std::min(15, truncate((src[j + kHalf] - range.min) * inverse + 0.5f));
      blocks[b].qs[j] = static_cast<uint8_t>(low | (high << 4));
    }
  }
}

void quantize(const float* src, BlockQ5_0* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kBlock32) {
    const float d = signed_absmax(src, kBlock32) / -16;
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = fp32_to_fp16(d);
    uint32_t high_bits = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int low = std::min(31, truncate(src[j] * inverse + 16.5f));
      const int high = std::min(31, truncate(src[j + kHalf] * inverse + 16.5f));
      blocks[b].qs[j] = static_cast<uint8_t>((low & 0xf) | ((high & 0xf) << 4));
      high_bits |= static_cast<uint32_t>(low >> 4) << j;
      high_bits |= static_cast<uint32_t>(high >> 4) << (j + kHalf);
    }
    store_high_bits(blocks[b].qh, high_bits);
  }
}

void quantize(const float* src, BlockQ5_1* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kBlock32) {
    const Range range = range_of(src, kBlock32);
    const float d = (range.max - range.min) / 31;
    const float inverse = d != 0.0f ? 1.0f / d : 0.0f;
    blocks[b].d = fp32_to_fp16(d);
    blocks[b].m = fp32_to_fp16(range.min);
    uint32_t high_bits = 0;
    for (int j = 0; j < kHalf; ++j) {
      // GGML clamps nothing here: (max-min)·(1/d) + 0.5 stays below 32 in float.
      const int low = truncate((src[j] - range.min) * inverse + 0.5f) & 31;
      const int high = truncate((src[j + kHalf] - range.min) * inverse + 0.5f) & 31;
      blocks[b].qs[j] = static_cast<uint8_t>((low & 0xf) | ((high & 0xf) << 4));
      high_bits |= static_cast<uint32_t>(low >> 4) << j;
      high_bits |= static_cast<uint32_t>(high >> 4) << (j + kHalf);
    }
    store_high_bits(blocks[b].qh, high_bits);
  }
}

namespace {

struct Q8Scale {
  float d;
  float inverse;
};
Q8Scale q8_scale(const float* x) {
  float absmax = 0.0f;
  for (int j = 0; j < kBlock32; ++j) absmax = std::max(absmax, std::fabs(x[j]));
  const float d = absmax / 127;
  return {d, d != 0.0f ? 1.0f / d : 0.0f};
}

}  // namespace

void quantize(const float* src, BlockQ8_0* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kBlock32) {
    const Q8Scale scale = q8_scale(src);
    blocks[b].d = fp32_to_fp16(scale.d);
    for (int j = 0; j < kBlock32; ++j) {
      blocks[b].qs[j] = static_cast<int8_t>(std::round(src[j] * scale.inverse));
    }
  }
}

void quantize(const float* src, BlockQ8_1* blocks, int64_t count) {
  for (int64_t b = 0; b < count; ++b, src += kBlock32) {
    const Q8Scale scale = q8_scale(src);
    blocks[b].d = fp32_to_fp16(scale.d);
    int sum = 0;
    for (int j = 0; j < kBlock32; ++j) {
      blocks[b].qs[j] = static_cast<int8_t>(std::round(src[j] * scale.inverse));
      sum += blocks[b].qs[j];
    }
    blocks[b].s = fp32_to_fp16(static_cast<float>(sum) * scale.d);
  }
}

}  // namespace weft::tensor::ref
