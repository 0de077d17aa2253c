#include "tensor/quant_formats.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "tensor/cpu_format_traits.hpp"
#include "tensor/formats/format_traits.hpp"
#include "weft/error.hpp"

namespace weft::tensor {
namespace {

void check_whole_blocks(const TypeTraits& traits, int64_t n) {
  if (n < 0 || n % traits.block_size != 0) {
    throw Error(ErrorCode::invalid_request, std::string("row of ") + std::to_string(n) +
                                                " values is not a whole number of " +
                                                std::string(traits.name) + " blocks");
  }
}

}  // namespace

void dequantize_row(ElementType type, const void* src, float* dst, int64_t n) {
  check_whole_blocks(format_traits(type).traits, n);
  cpu_format_traits(type).to_float(src, dst, n);
}

void quantize_row(ElementType type, const float* src, void* dst, int64_t n) {
  const FormatTraits& format = format_traits(type);
  check_whole_blocks(format.traits, n);
  format.from_float(src, dst, n);
}

// Every format's reference product: its own dequantisation, then float products in order.
float dot_reference(ElementType type, const void* row, const float* x, int64_t n) {
  const TypeTraits traits = format_traits(type).traits;
  check_whole_blocks(traits, n);
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
