// The AVX2 matrix products behind FastKernels. Callers check cpu_has_avx2_fma_f16c() and
// avx2_matmul_supports() first; the functions are compiled for AVX2 with target attributes
// so the rest of the build stays portable.
#pragma once

#include "tensor/threads/thread_pool.hpp"
#include "tensor/weight_matrix.hpp"

namespace weft::tensor {

enum class MatmulPath {
  best,         // VNNI tiles where the CPU and format have them
  avx2_groups,  // the AVX2 group kernels only (what CPUs without AVX-512 VNNI run)
};

bool avx2_matmul_supports(ElementType type);
void avx2_matmul(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                 ThreadPool& pool, MatmulPath path = MatmulPath::best);

}  // namespace weft::tensor
