// The summation orders and approximations of GGML's x86 CPU backend (llama.cpp), reproduced
// in scalar code so that the rounded-activations kernels land on its numbers bit for bit.
// Learned from GGML's sources (ggml-cpu.c, ggml-cpu-quants.c, llamafile/sgemm.cpp); see
// docs/engine.md, "What rounded-activations emulates".
//
// GGML's results depend on the vector width it was compiled for (`lanes`: 8 float lanes for
// AVX2, 16 for AVX-512) and, for half-precision products, on whether the batch has more than
// one row: a matrix product of at least two activation rows goes through llamafile's tinyBLAS,
// a single row through ggml_vec_dot_f16, and the two add the same products in different
// orders.
#pragma once

#include <cstdint>

namespace weft::tensor::ggml_cpu {

// GGML's compile-time vector width in float lanes: 8 (AVX2) or 16 (AVX-512).
inline constexpr int kAvx2Lanes = 8;
inline constexpr int kAvx512Lanes = 16;

// Whether GGML's matrix product of an m × k matrix (F32 or F16) with n activation rows takes
// tinyBLAS (true) or falls back to one ggml_vec_dot_f32/_f16 per output (false).
bool uses_sgemm(int64_t m, int64_t n, int64_t k, int lanes);

// What a product's operands are stored as: the routines differ for each.
enum class Operands { f32, f16, bf16 };

// Dot products in the order of tinyBLAS (`n` a multiple of `lanes`: one fused multiply-add
// per lane and step, then a pairwise sum of the lanes) and of ggml_vec_dot_f32/_f16/_bf16
// (four vector accumulators over steps of 4·lanes, folded and reduced, then the tail: fused
// into a float for F32, added in double for F16 and BF16). Half-precision operands are
// given widened to float; their products are exact in float32.
float sgemm_dot(const float* a, const float* b, int64_t n, int lanes);
float vec_dot(Operands operands, const float* a, const float* b, int64_t n, int lanes);
// Whichever GGML would use for a product of shape (m, n, k).
float matrix_dot(Operands operands, const float* a, const float* b, int64_t k, int64_t m, int64_t n,
                 int lanes);

// Dot product of two rows of 8-bit blocks of 32 (weights of Q4_0, Q5_0, Q8_0, Q4_1 or Q5_1
// as integers with their block scales, and activations quantised to Q8_0 or Q8_1), as
// GGML's AVX2 kernels and tinyBLAS sum it: eight float lanes, each the running fused
// multiply-add of (scale_a·scale_b) × (the integer sum of four neighbouring products), then
// a pairwise sum. With `mins_a` and `sums_b` (Q4_1/Q5_1: the block minimum, and the
// activation block's half-precision d·Σq) the products min·sum are fused into a float of
// their own, added at the end.
float q8_blocks_dot(const int8_t* qa, const float* da, const int8_t* qb, const float* db,
                    int64_t n_blocks, const float* mins_a = nullptr, const float* sums_b = nullptr);

// ggml_vec_dot_iq4_nl_q8_0's order for one activation row: blocks alternate between two sets
// of eight float lanes (even blocks, odd blocks), which are added lane by lane before the
// pairwise sum; a last block without a partner is added in scalar, as d·Σ of its products.
float q8_blocks_dot_alternating(const int8_t* qa, const float* da, const int8_t* qb,
                                const float* db, int64_t n_blocks);

// Dot product of a Q6_K weight row with Q8_K activations (`n_super` super-blocks of 256) as
// GGML's AVX2 kernel sums it: eight integer lanes per super-block (lane k: the scaled
// products of elements 4k..4k+3 of every 32, minus 32·the scaled activations of the k-th 32),
// each fused into a float lane with d_w·d_x, then a pairwise sum.
float q6_k_dot(const void* weights, const void* activations, int64_t n_super);

// The same for Q5_K: lane k the scaled products of elements 4k..4k+3 of every 32, fused with
// d_x·d_w; the minima times the activations' 16-value sums fused into a float of their own
// with −d_x·dmin_w, added after the pairwise sum.
float q5_k_dot(const void* weights, const void* activations, int64_t n_super);

// And for Q2_K: per super-block each lane first fuses −d_x·dmin_w times its two sub-blocks'
// minima × activation sums, then d_x·d_w times its scaled products (elements 4k..4k+3 of
// every 32).
float q2_k_dot(const void* weights, const void* activations, int64_t n_super);

// And for Q3_K (signed 3-bit values, 6-bit scales offset by 32): lane k the scaled products
// of elements 4k..4k+3 of every 32, fused with d_x·d_w.
float q3_k_dot(const void* weights, const void* activations, int64_t n_super);

// And for IQ4_XS (table values, 6-bit scales offset by 32, sub-blocks of 32): lane k the
// scaled products of elements 4k..4k+3 of every 32, fused with d_w·d_x.
float iq4_xs_dot(const void* weights, const void* activations, int64_t n_super);

// GGML's vectorised exp (ggml_v_expf) for one value: a polynomial, not libm's expf.
float vector_expf(float x, int lanes);

// GGML's soft_max over a row already scaled and masked: exp(x − max) by vector_expf in whole
// chunks of `lanes` from index 0, chunk sums added in double, the values past the last whole
// chunk by libm's expf, each added in double; then multiplied by float(1/sum). Attention
// passes the padded row GGML sees (masked values −inf contribute nothing).
// With a `sink` (attention sinks), the maximum includes it and libm's exp(sink − max) joins
// the sum.
void softmax(float* x, int64_t n, int lanes, const float* sink = nullptr);

// GELU (tanh form) as GGML's CPU backend computes it on float32: the input rounded to half
// precision and looked up in a table of half-precision results (so the result is rounded to
// half too); at or beyond ±10, 0 or the input itself.
float table_gelu(float x);

// The number of cache cells GGML's attention spans when `used` cells hold tokens: llama.cpp
// pads the view to a multiple of 32 (without flash attention) and the masked cells take
// part in the sums as zeros.
int64_t padded_cells(int64_t used);

}  // namespace weft::tensor::ggml_cpu
