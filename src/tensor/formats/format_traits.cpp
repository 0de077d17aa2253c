#include "tensor/formats/format_traits.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "tensor/formats/half.hpp"
#include "tensor/formats/mxfp4_quant.hpp"
#include "tensor/formats/quant_reference.hpp"
#include "weft/error.hpp"

namespace weft::tensor {
namespace {

void f32_to_float(const void* src, float* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}
void f32_from_float(const float* src, void* dst, int64_t n) {
  std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
}

template <float (*Widen)(uint16_t)>
void halves_to_float(const void* src, float* dst, int64_t n) {
  const auto* halves = static_cast<const uint16_t*>(src);
  for (int64_t i = 0; i < n; ++i) dst[i] = Widen(halves[i]);
}
template <uint16_t (*Narrow)(float)>
void halves_from_float(const float* src, void* dst, int64_t n) {
  auto* halves = static_cast<uint16_t*>(dst);
  for (int64_t i = 0; i < n; ++i) halves[i] = Narrow(src[i]);
}

// Block formats: `Values` values per `Block`, converted by the routines of
// tensor/formats/quant_reference.hpp (whole blocks).
template <typename Block, int64_t Values>
void blocks_to_float(const void* src, float* dst, int64_t n) {
  ref::dequantize(static_cast<const Block*>(src), dst, n / Values);
}
template <typename Block, int64_t Values>
void blocks_from_float(const float* src, void* dst, int64_t n) {
  ref::quantize(src, static_cast<Block*>(dst), n / Values);
}

void mxfp4_to_float(const void* src, float* dst, int64_t n) {
  dequantize_mxfp4(static_cast<const BlockMXFP4*>(src), dst, n);
}
void mxfp4_from_float(const float* src, void* dst, int64_t n) {
  quantize_mxfp4(src, static_cast<BlockMXFP4*>(dst), n);
}

// A block format's row: its bytes per block are the size of its block struct.
template <typename Block, int64_t Values>
constexpr FormatTraits block_row(ElementType type, std::string_view name) {
  return {{type, name, Values, sizeof(Block)},
          &blocks_to_float<Block, Values>,
          &blocks_from_float<Block, Values>};
}

constexpr std::array kFormats = {
    FormatTraits{{ElementType::F32, "f32", 1, 4}, &f32_to_float, &f32_from_float},
    FormatTraits{{ElementType::F16, "f16", 1, 2},
                 &halves_to_float<fp16_to_fp32>,
                 &halves_from_float<fp32_to_fp16>},
    block_row<BlockQ4_0, kBlock32>(ElementType::Q4_0, "q4_0"),
    block_row<BlockQ4_1, kBlock32>(ElementType::Q4_1, "q4_1"),
    block_row<BlockQ5_0, kBlock32>(ElementType::Q5_0, "q5_0"),
    block_row<BlockQ5_1, kBlock32>(ElementType::Q5_1, "q5_1"),
    block_row<BlockQ8_0, kBlock32>(ElementType::Q8_0, "q8_0"),
    block_row<BlockQ8_1, kBlock32>(ElementType::Q8_1, "q8_1"),
    block_row<BlockQ2_K, kSuperBlock>(ElementType::Q2_K, "q2_K"),
    block_row<BlockQ3_K, kSuperBlock>(ElementType::Q3_K, "q3_K"),
    block_row<BlockQ4_K, kSuperBlock>(ElementType::Q4_K, "q4_K"),
    block_row<BlockQ5_K, kSuperBlock>(ElementType::Q5_K, "q5_K"),
    block_row<BlockQ6_K, kSuperBlock>(ElementType::Q6_K, "q6_K"),
    block_row<BlockQ8_K, kSuperBlock>(ElementType::Q8_K, "q8_K"),
    block_row<BlockIQ4_NL, kBlock32>(ElementType::IQ4_NL, "iq4_nl"),
    block_row<BlockIQ4_XS, kSuperBlock>(ElementType::IQ4_XS, "iq4_xs"),
    FormatTraits{{ElementType::MXFP4, "mxfp4", kMxfp4BlockSize, sizeof(BlockMXFP4)},
                 &mxfp4_to_float,
                 &mxfp4_from_float},
    FormatTraits{{ElementType::BF16, "bf16", 1, 2},
                 &halves_to_float<bf16_to_fp32>,
                 &halves_from_float<fp32_to_bf16>},
};

// Row numbers by type id, so that a lookup is one load (-1: no such format).
constexpr uint32_t kFormatIdLimit = [] {
  uint32_t limit = 0;
  for (const FormatTraits& row : kFormats)
    limit = std::max(limit, static_cast<uint32_t>(row.traits.type) + 1);
  return limit;
}();
constexpr auto kRowOfId = [] {
  std::array<int8_t, kFormatIdLimit> rows{};
  rows.fill(-1);
  for (size_t i = 0; i < kFormats.size(); ++i)
    rows[static_cast<uint32_t>(kFormats[i].traits.type)] = static_cast<int8_t>(i);
  return rows;
}();

}  // namespace

std::span<const FormatTraits> format_table() {
  return kFormats;
}

const FormatTraits* find_format(uint32_t raw_type) {
  if (raw_type >= kFormatIdLimit || kRowOfId[raw_type] < 0) return nullptr;
  return &kFormats[static_cast<size_t>(kRowOfId[raw_type])];
}

const FormatTraits& format_traits(ElementType type) {
  const FormatTraits* row = find_format(static_cast<uint32_t>(type));
  if (row == nullptr) {
    throw Error(ErrorCode::invalid_request,
                "unknown element type id " + std::to_string(static_cast<uint32_t>(type)));
  }
  return *row;
}

}  // namespace weft::tensor
