// The rounded-activation kernels' matrix products, one per weight format that has its own
// (tensor/cpu_format_traits.cpp registers them): activations rounded to the format's
// partner type as GGML rounds them, products summed in GGML's order, so the results are
// llama.cpp's bits. `lanes` is the float vector width imitated (ggml_cpu_numerics.hpp).
// out[i·w.rows + r] = weight row r · activation row i.
#pragma once

#include <cstdint>

#include "tensor/threads/thread_pool.hpp"
#include "tensor/weight_matrix.hpp"

namespace weft::tensor::rounded_activation {

using Product = void (*)(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                         ThreadPool& pool, int lanes);

void f32_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                 ThreadPool& pool, int lanes);
void f16_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                 ThreadPool& pool, int lanes);
void bf16_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void q4_0_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void q4_1_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void q5_0_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void q5_1_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void q8_0_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void iq4_nl_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                    ThreadPool& pool, int lanes);
void mxfp4_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                   ThreadPool& pool, int lanes);
void q2_k_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void q3_k_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void q5_k_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void q6_k_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                  ThreadPool& pool, int lanes);
void iq4_xs_product(const WeightMatrix& w, const float* x, int64_t n_rows, float* out,
                    ThreadPool& pool, int lanes);

}  // namespace weft::tensor::rounded_activation
