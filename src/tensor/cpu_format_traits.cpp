// The CPU-side format table. A new format adds its row here with the entries its kernel
// files define; a kernel set without a product for it leaves the entry null.
#include "tensor/cpu_format_traits.hpp"

#include <array>
#include <string>

#include "tensor/arm/fast_matmul_neon.hpp"
#include "tensor/cpu_features.hpp"
#include "tensor/formats/half.hpp"
#include "tensor/formats/quant_reference.hpp"
#include "tensor/kernels.hpp"
#include "tensor/reference/rounded_activation_products.hpp"
#include "tensor/x86/fast_gemm_tiles.hpp"
#include "tensor/x86/fast_matmul_avx2_formats.hpp"
#include "tensor/x86/fast_vector_avx2.hpp"
#include "weft/error.hpp"

// Entries of an instruction set this build does not target are null (their definitions are
// not compiled).
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define WEFT_X86_ENTRY(entry) (entry)
#else
#define WEFT_X86_ENTRY(entry) nullptr
#endif
#if defined(__aarch64__)
#define WEFT_ARM_ENTRY(entry) (entry)
#else
#define WEFT_ARM_ENTRY(entry) nullptr
#endif

namespace weft::tensor {
namespace {

// The KV cache's F16 and Q8_0 rows are widened on every attention step: with F16C (and
// AVX2) where this CPU has them, else by the reference conversion. The widening is exact.
void f16_to_float(const void* src, float* dst, int64_t n) {
  const auto* halves = static_cast<const uint16_t*>(src);
  if (cpu_features().f16c) return f16c_widen(halves, dst, n);
  for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(halves[i]);
}
void q8_0_to_float(const void* src, float* dst, int64_t n) {
  if (cpu_features().avx2 && cpu_features().f16c) return avx2_widen_q8_0(src, dst, n / kBlock32);
  ref::dequantize(static_cast<const BlockQ8_0*>(src), dst, n / kBlock32);
}

// One row per format that has more than the default (below), in any order; a null to_float
// is the format's reference one. Q8_1 and Q8_K, activation formats, have none.
constexpr std::array kCpuFormats = {
    CpuFormatTraits{.type = ElementType::F32,
                    .rounded_product = &rounded_activation::f32_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_f32_kernel),
                    .neon_product = WEFT_ARM_ENTRY(&neon_matmul)},
    CpuFormatTraits{.type = ElementType::F16,
                    .vec_dot_type = ElementType::F16,
                    .to_float = &f16_to_float,
                    .rounded_product = &rounded_activation::f16_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_f16_kernel),
                    .neon_product = WEFT_ARM_ENTRY(&neon_matmul)},
    CpuFormatTraits{.type = ElementType::BF16,
                    .vec_dot_type = ElementType::BF16,
                    .rounded_product = &rounded_activation::bf16_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_bf16_kernel)},
    CpuFormatTraits{.type = ElementType::Q4_0,
                    .vec_dot_type = ElementType::Q8_0,
                    .rounded_product = &rounded_activation::q4_0_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q4_0_kernel),
                    .vnni_tiles = WEFT_X86_ENTRY(&kVnniTilesQ4_0),
                    .neon_product = WEFT_ARM_ENTRY(&neon_matmul)},
    CpuFormatTraits{.type = ElementType::Q4_1,
                    .vec_dot_type = ElementType::Q8_1,
                    .rounded_product = &rounded_activation::q4_1_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q4_1_kernel)},
    CpuFormatTraits{.type = ElementType::Q5_0,
                    .vec_dot_type = ElementType::Q8_0,
                    .rounded_product = &rounded_activation::q5_0_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q5_0_kernel)},
    CpuFormatTraits{.type = ElementType::Q5_1,
                    .vec_dot_type = ElementType::Q8_1,
                    .rounded_product = &rounded_activation::q5_1_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q5_1_kernel)},
    CpuFormatTraits{.type = ElementType::Q8_0,
                    .vec_dot_type = ElementType::Q8_0,
                    .to_float = &q8_0_to_float,
                    .rounded_product = &rounded_activation::q8_0_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q8_0_kernel),
                    .vnni_tiles = WEFT_X86_ENTRY(&kVnniTilesQ8_0),
                    .neon_product = WEFT_ARM_ENTRY(&neon_matmul)},
    CpuFormatTraits{.type = ElementType::Q2_K,
                    .vec_dot_type = ElementType::Q8_K,
                    .rounded_product = &rounded_activation::q2_k_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q2_k_kernel)},
    CpuFormatTraits{.type = ElementType::Q3_K,
                    .vec_dot_type = ElementType::Q8_K,
                    .rounded_product = &rounded_activation::q3_k_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q3_k_kernel)},
    // Q4_K: rounded-activations multiplies the Q8_K-rounded activations in float32.
    CpuFormatTraits{.type = ElementType::Q4_K,
                    .vec_dot_type = ElementType::Q8_K,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q4_k_kernel),
                    .vnni_tiles = WEFT_X86_ENTRY(&kVnniTilesQ4_K)},
    CpuFormatTraits{.type = ElementType::Q5_K,
                    .vec_dot_type = ElementType::Q8_K,
                    .rounded_product = &rounded_activation::q5_k_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q5_k_kernel)},
    CpuFormatTraits{.type = ElementType::Q6_K,
                    .vec_dot_type = ElementType::Q8_K,
                    .rounded_product = &rounded_activation::q6_k_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_q6_k_kernel),
                    .vnni_tiles = WEFT_X86_ENTRY(&kVnniTilesQ6_K)},
    CpuFormatTraits{.type = ElementType::IQ4_NL,
                    .vec_dot_type = ElementType::Q8_0,
                    .rounded_product = &rounded_activation::iq4_nl_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_iq4_nl_kernel)},
    CpuFormatTraits{.type = ElementType::IQ4_XS,
                    .vec_dot_type = ElementType::Q8_K,
                    .rounded_product = &rounded_activation::iq4_xs_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_iq4_xs_kernel)},
    CpuFormatTraits{.type = ElementType::MXFP4,
                    .vec_dot_type = ElementType::Q8_0,
                    .rounded_product = &rounded_activation::mxfp4_product,
                    .avx2_kernel = WEFT_X86_ENTRY(&avx2_mxfp4_kernel)},
};

// Rows by type id. A format of the format table without a row here gets the default one:
// float32 activations, its reference to_float, no product but the reference one.
constexpr size_t kCpuIdLimit = 64;
struct CpuTable {
  std::array<CpuFormatTraits, kCpuIdLimit> rows{};
  std::array<bool, kCpuIdLimit> present{};
};

CpuTable build_table() {
  CpuTable table;
  for (const FormatTraits& format : format_table()) {
    const auto id = static_cast<size_t>(format.traits.type);
    table.rows[id] = CpuFormatTraits{.type = format.traits.type};
    table.present[id] = true;
  }
  for (const CpuFormatTraits& row : kCpuFormats) table.rows[static_cast<size_t>(row.type)] = row;
  for (size_t id = 0; id < kCpuIdLimit; ++id) {
    CpuFormatTraits& row = table.rows[id];
    if (table.present[id] && row.to_float == nullptr)
      row.to_float = format_traits(row.type).to_float;
  }
  return table;
}

}  // namespace

const CpuFormatTraits& cpu_format_traits(ElementType type) {
  static const CpuTable table = build_table();
  const auto id = static_cast<size_t>(type);
  if (id >= kCpuIdLimit || !table.present[id]) {
    throw Error(ErrorCode::invalid_request,
                "no kernels for element type id " + std::to_string(static_cast<uint32_t>(type)));
  }
  return table.rows[id];
}

ElementType activation_partner(ElementType storage) {
  return cpu_format_traits(storage).vec_dot_type;
}

}  // namespace weft::tensor
