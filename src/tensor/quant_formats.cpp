#include "tensor/quant_formats.hpp"

#include <array>
#include <cstring>
#include <string>

#include "tensor/cpu_features.hpp"
#include "tensor/fast_vector_avx2.hpp"
#include "tensor/half.hpp"
#include "tensor/mxfp4_quant.hpp"
#include "tensor/quant_reference.hpp"
#include "weft/error.hpp"

namespace weft::tensor {
namespace {

int64_t whole_blocks(ElementType type, int64_t n) {
  const TypeTraits traits = traits_of(type);
  if (n < 0 || n % traits.block_size != 0) {
    throw Error(ErrorCode::invalid_request, std::string("row of ") + std::to_string(n) +
                                                " values is not a whole number of " +
                                                std::string(traits.name) + " blocks");
  }
  return n / traits.block_size;
}

template <typename Block>
void dequantize_blocks(const void* src, float* dst, int64_t blocks) {
  ref::dequantize(static_cast<const Block*>(src), dst, blocks);
}

template <typename Block>
void quantize_blocks(const float* src, void* dst, int64_t blocks) {
  ref::quantize(src, static_cast<Block*>(dst), blocks);
}

}  // namespace

void dequantize_row(ElementType type, const void* src, float* dst, int64_t n) {
  const int64_t blocks = whole_blocks(type, n);
  switch (type) {
    case ElementType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case ElementType::F16: {
      const auto* halves = static_cast<const uint16_t*>(src);
      // The KV cache's F16 keys and values are widened here on every attention step.
      if (cpu_features().f16c) return f16c_widen(halves, dst, n);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(halves[i]);
      return;
    }
    case ElementType::BF16: {
      const auto* halves = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(halves[i]);
      return;
    }
    case ElementType::Q4_0:
      return dequantize_blocks<BlockQ4_0>(src, dst, blocks);
    case ElementType::Q4_1:
      return dequantize_blocks<BlockQ4_1>(src, dst, blocks);
    case ElementType::Q5_0:
      return dequantize_blocks<BlockQ5_0>(src, dst, blocks);
    case ElementType::Q5_1:
      return dequantize_blocks<BlockQ5_1>(src, dst, blocks);
    case ElementType::Q8_0:
      // A q8_0 KV cache's keys and values are widened here on every attention step.
      if (cpu_features().avx2 && cpu_features().f16c) return avx2_widen_q8_0(src, dst, blocks);
      return dequantize_blocks<BlockQ8_0>(src, dst, blocks);
    case ElementType::Q8_1:
      return dequantize_blocks<BlockQ8_1>(src, dst, blocks);
    case ElementType::Q2_K:
      return dequantize_blocks<BlockQ2_K>(src, dst, blocks);
    case ElementType::Q3_K:
      return dequantize_blocks<BlockQ3_K>(src, dst, blocks);
    case ElementType::Q4_K:
      return dequantize_blocks<BlockQ4_K>(src, dst, blocks);
    case ElementType::Q5_K:
      return dequantize_blocks<BlockQ5_K>(src, dst, blocks);
    case ElementType::Q6_K:
      return dequantize_blocks<BlockQ6_K>(src, dst, blocks);
    case ElementType::Q8_K:
      return dequantize_blocks<BlockQ8_K>(src, dst, blocks);
    case ElementType::IQ4_NL:
      return dequantize_blocks<BlockIQ4_NL>(src, dst, blocks);
    case ElementType::IQ4_XS:
      return dequantize_blocks<BlockIQ4_XS>(src, dst, blocks);
    case ElementType::MXFP4:
      return dequantize_mxfp4(static_cast<const BlockMXFP4*>(src), dst, blocks * kMxfp4BlockSize);
  }
  throw Error(ErrorCode::invalid_request, "dequantize_row: unknown element type");
}

void quantize_row(ElementType type, const float* src, void* dst, int64_t n) {
  const int64_t blocks = whole_blocks(type, n);
  switch (type) {
    case ElementType::F32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case ElementType::F16: {
      auto* halves = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) halves[i] = fp32_to_fp16(src[i]);
      return;
    }
    case ElementType::BF16: {
      auto* halves = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) halves[i] = fp32_to_bf16(src[i]);
      return;
    }
    case ElementType::Q4_0:
      return quantize_blocks<BlockQ4_0>(src, dst, blocks);
    case ElementType::Q4_1:
      return quantize_blocks<BlockQ4_1>(src, dst, blocks);
    case ElementType::Q5_0:
      return quantize_blocks<BlockQ5_0>(src, dst, blocks);
    case ElementType::Q5_1:
      return quantize_blocks<BlockQ5_1>(src, dst, blocks);
    case ElementType::Q8_0:
      return quantize_blocks<BlockQ8_0>(src, dst, blocks);
    case ElementType::Q8_1:
      return quantize_blocks<BlockQ8_1>(src, dst, blocks);
    case ElementType::Q2_K:
      return quantize_blocks<BlockQ2_K>(src, dst, blocks);
    case ElementType::Q3_K:
      return quantize_blocks<BlockQ3_K>(src, dst, blocks);
    case ElementType::Q4_K:
      return quantize_blocks<BlockQ4_K>(src, dst, blocks);
    case ElementType::Q5_K:
      return quantize_blocks<BlockQ5_K>(src, dst, blocks);
    case ElementType::Q6_K:
      return quantize_blocks<BlockQ6_K>(src, dst, blocks);
    case ElementType::Q8_K:
      return quantize_blocks<BlockQ8_K>(src, dst, blocks);
    case ElementType::IQ4_NL:
      return quantize_blocks<BlockIQ4_NL>(src, dst, blocks);
    case ElementType::IQ4_XS:
      return quantize_blocks<BlockIQ4_XS>(src, dst, blocks);
    case ElementType::MXFP4:
      return quantize_mxfp4(src, static_cast<BlockMXFP4*>(dst), blocks * kMxfp4BlockSize);
  }
  throw Error(ErrorCode::invalid_request, "quantize_row: unknown element type");
}

float dot_reference(ElementType type, const void* row, const float* x, int64_t n) {
  const TypeTraits traits = traits_of(type);
  whole_blocks(type, n);
  // Dequantise a chunk of whole blocks at a time, then accumulate in order.
  constexpr int64_t kChunk = 256;
  const int64_t chunk = traits.block_size == 1 ? kChunk : traits.block_size;
  std::array<float, kChunk> values{};
  const auto* bytes = static_cast<const unsigned char*>(row);
  float sum = 0.0f;
  for (int64_t start = 0; start < n; start += chunk) {
    const int64_t len = std::min(chunk, n - start);
    const int64_t offset = start / traits.block_size * traits.block_bytes;
    dequantize_row(type, bytes + offset, values.data(), len);
    for (int64_t i = 0; i < len; ++i) sum += values[static_cast<size_t>(i)] * x[start + i];
  }
  return sum;
}

}  // namespace weft::tensor
