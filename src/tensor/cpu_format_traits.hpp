// What this build's CPU kernels do with each element format, after GGML's type_traits_cpu:
// the partner type activations are rounded to, the best row dequantiser, and the entry
// point of each kernel set or instruction set that has a product for the format (nullptr
// where it has none, and for instruction sets this build does not target). The format's
// own facts (name, blocks, reference conversions) are tensor/formats/format_traits.hpp.
//
// Kernels look a format up once per matrix product (or row conversion), never per block.
#pragma once

#include <cstdint>

#include "tensor/formats/format_traits.hpp"
#include "tensor/threads/thread_pool.hpp"
#include "tensor/weight_matrix.hpp"

namespace weft::tensor {

struct FormatKernel;  // tensor/x86/fast_matmul_avx2_formats.hpp
struct TileKernels;   // tensor/x86/fast_gemm_tiles.hpp

// out[i·w.rows + r] = weight row r · activation row i, with `lanes` float lanes imitated
// (rounded-activation kernels: tensor/reference/rounded_activation_products.hpp).
using RoundedProduct = void (*)(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                                ThreadPool& pool, int lanes);
// The AVX2 group dots of the format for rows of `cols` values (fast_matmul_avx2_formats.hpp).
using Avx2KernelOf = FormatKernel (*)(int64_t cols);
// out[i·w.rows + r] = weight row r · activation row i (fast_matmul_neon.hpp).
using NeonProduct = void (*)(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                             ThreadPool& pool);

struct CpuFormatTraits {
  ElementType type;
  // GGML's vec_dot_type: what activations are rounded to before a product with the format
  // (F32: not rounded). The rounded-activation and fast kernels round to it.
  ElementType vec_dot_type = ElementType::F32;
  // dequantize_row(): F16 and Q8_0 (the KV cache's types) widen with F16C/AVX2 where the CPU
  // has them; every other format's reference to_float.
  RowToFloat to_float = nullptr;
  // llama.cpp's bits (RoundedActivationKernels). nullptr: the reference product on
  // activations rounded to vec_dot_type.
  RoundedProduct rounded_product = nullptr;
  // FastKernels on x86-64 with AVX2/FMA/F16C. nullptr: the reference product.
  Avx2KernelOf avx2_kernel = nullptr;
  // Register-blocked AVX-512 VNNI tiles (fast_gemm_tiles.hpp), used where the CPU runs them.
  const TileKernels* vnni_tiles = nullptr;
  // FastKernels on aarch64.
  NeonProduct neon_product = nullptr;
};

// The row of `type`; throws weft::Error for a value outside the enum.
const CpuFormatTraits& cpu_format_traits(ElementType type);

}  // namespace weft::tensor
