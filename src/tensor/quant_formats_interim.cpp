// INTERIM until the formats branch lands (then this file is deleted): F32/F16/BF16 only.
#include <bit>
#include <cmath>
#include <cstring>
#include <string>

#include "tensor/quant_formats.hpp"
#include "weft/error.hpp"

namespace weft::tensor {
namespace {

float half_to_float(uint16_t h) {
  const uint32_t sign = (h >> 15) & 1;
  const uint32_t exponent = (h >> 10) & 0x1f;
  const uint32_t mantissa = h & 0x3ff;
  float value;
  if (exponent == 0) {
    value = std::ldexp(static_cast<float>(mantissa), -24);
  } else if (exponent == 31) {
    value = mantissa ? NAN : INFINITY;
  } else {
    value = std::ldexp(static_cast<float>(mantissa | 0x400), static_cast<int>(exponent) - 25);
  }
  return sign ? -value : value;
}

uint16_t float_to_half(float f) {
  const uint32_t bits = std::bit_cast<uint32_t>(f);
  const uint32_t sign = (bits >> 16) & 0x8000;
  const float magnitude = std::fabs(f);
  if (std::isnan(f)) return static_cast<uint16_t>(sign | 0x7e00);
  if (magnitude >= 65520.0f) return static_cast<uint16_t>(sign | 0x7c00);
  if (magnitude < std::ldexp(1.0f, -14)) {
    const auto m = static_cast<uint32_t>(std::nearbyint(magnitude * std::ldexp(1.0f, 24)));
    return static_cast<uint16_t>(sign | m);
  }
  int exponent = 0;
  const float fraction = std::frexp(magnitude, &exponent);             // [0.5, 1)
  auto m = static_cast<uint32_t>(std::nearbyint(fraction * 2048.0f));  // 11 bits incl. hidden
  if (m == 2048) {
    m = 1024;
    ++exponent;
  }
  const uint32_t e = static_cast<uint32_t>(exponent + 14);
  if (e >= 31) return static_cast<uint16_t>(sign | 0x7c00);
  return static_cast<uint16_t>(sign | (e << 10) | (m & 0x3ff));
}

}  // namespace

void dequantize_row(ElementType type, const void* src, float* dst, int64_t n) {
  const auto* bytes = static_cast<const unsigned char*>(src);
  switch (type) {
    case ElementType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case ElementType::F16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, 2);
        dst[i] = half_to_float(h);
      }
      return;
    case ElementType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, bytes + 2 * i, 2);
        dst[i] = std::bit_cast<float>(static_cast<uint32_t>(h) << 16);
      }
      return;
    default:
      throw Error("interim: type not supported yet");
  }
}

void quantize_row(ElementType type, const float* src, void* dst, int64_t n) {
  auto* bytes = static_cast<unsigned char*>(dst);
  switch (type) {
    case ElementType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * 4);
      return;
    case ElementType::F16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = float_to_half(src[i]);
        std::memcpy(bytes + 2 * i, &h, 2);
      }
      return;
    default:
      throw Error("interim: type not supported yet");
  }
}

float dot_reference(ElementType, const void*, const float*, int64_t) {
  throw Error("interim");
}

}  // namespace weft::tensor
