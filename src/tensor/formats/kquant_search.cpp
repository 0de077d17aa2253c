#include "tensor/formats/kquant_search.hpp"

// On x86-64 the searches are also compiled for AVX2 and picked at load time; the results
// are the same (no FMA contraction), only wider. -DWEFT_BASELINE_ONLY builds only the
// baseline version (to check it on AVX2 machines).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(WEFT_BASELINE_ONLY)
#define WEFT_WIDE_VECTORS __attribute__((target_clones("avx2", "default")))
#else
#define WEFT_WIDE_VECTORS
#endif

// Local lambdas take and return SIMD vectors by value; they are inlined, so the note that
// such signatures have a target-dependent ABI does not apply.
#pragma GCC diagnostic ignored "-Wpsabi"

#include <bit>
#include <cmath>
#include <cstring>

namespace weft::tensor::ref {
namespace {

// Lane-major copy: out[i][lane] = in[lane·N + i].
template <int Lanes, int N>
void transpose(const float* in, float (&out)[N][Lanes]) {
  for (int lane = 0; lane < Lanes; ++lane) {
    for (int i = 0; i < N; ++i) out[i][lane] = in[lane * N + i];
  }
}

// GCC/Clang vector extensions: element-wise operations, lowered to whatever SIMD the
// target has (SSE2 on baseline x86-64).
typedef float Floats8 __attribute__((vector_size(32)));
typedef int32_t Ints8 __attribute__((vector_size(32)));
typedef float Floats16 __attribute__((vector_size(64)));
typedef int32_t Ints16 __attribute__((vector_size(64)));

template <int Lanes>
struct LaneVectors;
template <>
struct LaneVectors<8> {
  using Floats = Floats8;
  using Ints = Ints8;
};
template <>
struct LaneVectors<16> {
  using Floats = Floats16;
  using Ints = Ints16;
};

}  // namespace

template <int Lanes, int N>
WEFT_WIDE_VECTORS void fit_offset_codes(const OffsetSearch& search, const float* x_in,
                                        const float* weights_in, uint8_t* codes_out,
                                        float* scales_out, float* mins_out) {
  // One vector holds value i of every lane; vector operations are lane-wise IEEE float
  // operations, identical to the scalar ones (no contraction in ISO C++ mode).
  using Floats = typename LaneVectors<Lanes>::Floats;
  using Ints = typename LaneVectors<Lanes>::Ints;
  Floats x[N];
  Floats w[N];
  {
    float x_t[N][Lanes];
    float w_t[N][Lanes];
    transpose<Lanes, N>(x_in, x_t);
    transpose<Lanes, N>(weights_in, w_t);
    std::memcpy(x, x_t, sizeof x);
    std::memcpy(w, w_t, sizeof w);
  }
  const auto nmax = static_cast<float>(search.nmax);
  auto codes_for = [&](const Floats& inverse, const Floats& min, const Floats& xi) {
    // Clamping before rounding equals GGML's clamping after it, because rounding is
    // monotonic and the bounds are integers; floats clamp with SSE2's minps/maxps, while
    // 32-bit integer min/max would fall back to scalar code.
    Floats scaled = inverse * (xi - min);
    scaled = scaled < 0 ? Floats{} : scaled;
    scaled = scaled > nmax ? Floats{} + nmax : scaled;
    const Floats shifted = scaled + 12582912.f;
    Ints code;
    std::memcpy(&code, &shifted, sizeof code);
    return (code & 0x7fffff) - 0x400000;
  };
  auto error_of = [&](const Floats& diff) {
    if (!search.absolute) return diff * diff;
    Ints bits;
    std::memcpy(&bits, &diff, sizeof bits);
    bits &= 0x7fffffff;
    Floats magnitude;
    std::memcpy(&magnitude, &bits, sizeof magnitude);
    return magnitude;
  };
  // target = mask ? source : target, lane by lane.
  auto blend = [](const Ints& mask, const Floats& source, const Floats& target) {
    Ints source_bits, target_bits;
    std::memcpy(&source_bits, &source, sizeof source_bits);
    std::memcpy(&target_bits, &target, sizeof target_bits);
    target_bits = (source_bits & mask) | (target_bits & ~mask);
    Floats result;
    std::memcpy(&result, &target_bits, sizeof result);
    return result;
  };

  Floats min = x[0], max = x[0];
  Floats sum_w = w[0];
  Floats sum_x = sum_w * x[0];
  for (int i = 1; i < N; ++i) {
    min = x[i] < min ? x[i] : min;
    max = x[i] > max ? x[i] : max;
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  min = min > 0 ? Floats{} : min;
  const Floats range = max - min;  // 0 marks a flat lane, finished at the end
  Floats inverse = nmax / range;
  Floats scale = 1 / inverse;
  Floats best_error = {};
  Ints codes[N];
  for (int i = 0; i < N; ++i) {
    const Floats diff =
        scale * __builtin_convertvector(codes_for(inverse, min, x[i]), Floats) + min - x[i];
    best_error += w[i] * error_of(diff);
  }
  // The kept codes are a function of the (inverse scale, min) they were rounded with:
  // remember those and round once at the end instead of copying codes on every change.
  Floats codes_inverse = inverse;
  Floats codes_min = min;

  Ints trial[N];
  for (int step = 0; step <= search.steps; ++step) {
    // min moves whenever a better fit is found, and GGML uses the moved min here.
    inverse = (search.rmin + search.rdelta * static_cast<float>(step) + nmax) / (max - min);
    Floats sum_l = {}, sum_l2 = {}, sum_xl = {};
    for (int i = 0; i < N; ++i) {
      trial[i] = codes_for(inverse, min, x[i]);
      const Floats c = __builtin_convertvector(trial[i], Floats);
      sum_l += w[i] * c;
      sum_l2 += w[i] * c * c;
      sum_xl += w[i] * c * x[i];
    }
    const Floats det = sum_w * sum_l2 - sum_l * sum_l;
    Floats this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
    Floats this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
    const Ints positive_min = this_min > 0;
    this_scale = blend(positive_min, sum_xl / sum_l2, this_scale);
    this_min = blend(positive_min, Floats{}, this_min);
    Floats error = {};
    for (int i = 0; i < N; ++i) {
      const Floats diff = this_scale * __builtin_convertvector(trial[i], Floats) + this_min - x[i];
      error += w[i] * error_of(diff);
    }
    const Ints better = (det > 0) & (error < best_error);
    bool any_better = false;
    for (int l = 0; l < Lanes; ++l) any_better |= better[l] != 0;
    if (!any_better) continue;
    best_error = blend(better, error, best_error);
    scale = blend(better, this_scale, scale);
    codes_inverse = blend(better, inverse, codes_inverse);
    codes_min = blend(better, min, codes_min);
    min = blend(better, this_min, min);
  }
  for (int i = 0; i < N; ++i) codes[i] = codes_for(codes_inverse, codes_min, x[i]);

  for (int l = 0; l < Lanes; ++l) {
    const bool flat = range[l] == 0;
    scales_out[l] = flat ? 0.f : scale[l];
    mins_out[l] = -min[l];
    for (int i = 0; i < N; ++i)
      codes_out[l * N + i] = flat ? uint8_t{0} : static_cast<uint8_t>(codes[i][l]);
  }
}

template <int Lanes, int N>
WEFT_WIDE_VECTORS void fit_symmetric_codes(int nmax_int, const float* x_in, int8_t* codes_out,
                                           float* scales_out) {
  using Floats = typename LaneVectors<Lanes>::Floats;
  using Ints = typename LaneVectors<Lanes>::Ints;
  Floats x[N];
  {
    float x_t[N][Lanes];
    transpose<Lanes, N>(x_in, x_t);
    std::memcpy(x, x_t, sizeof x);
  }
  const auto nmax = static_cast<float>(nmax_int);
  // Codes in [-nmax, nmax-1], clamped before rounding (see fit_offset_codes).
  auto codes_for = [&](const Floats& inverse, const Floats& xi) {
    Floats scaled = inverse * xi;
    scaled = scaled < -nmax ? Floats{} - nmax : scaled;
    scaled = scaled > nmax - 1 ? Floats{} + (nmax - 1) : scaled;
    const Floats shifted = scaled + 12582912.f;
    Ints code;
    std::memcpy(&code, &shifted, sizeof code);
    return (code & 0x7fffff) - 0x400000;
  };
  auto blend = [](const Ints& mask, const Floats& source, const Floats& target) {
    Ints source_bits, target_bits;
    std::memcpy(&source_bits, &source, sizeof source_bits);
    std::memcpy(&target_bits, &target, sizeof target_bits);
    target_bits = (source_bits & mask) | (target_bits & ~mask);
    Floats result;
    std::memcpy(&result, &target_bits, sizeof result);
    return result;
  };

  Floats max = {}, absmax = {};
  for (int i = 0; i < N; ++i) {
    Ints bits;
    std::memcpy(&bits, &x[i], sizeof bits);
    bits &= 0x7fffffff;
    Floats magnitude;
    std::memcpy(&magnitude, &bits, sizeof magnitude);
    const Ints larger = magnitude > absmax;
    absmax = blend(larger, magnitude, absmax);
    max = blend(larger, x[i], max);
  }

  Floats inverse = -nmax / max;
  Floats sumlx = {}, suml2 = {};
  for (int i = 0; i < N; ++i) {
    const Floats c = __builtin_convertvector(codes_for(inverse, x[i]), Floats);
    const Floats weight = x[i] * x[i];
    sumlx += weight * x[i] * c;
    suml2 += weight * c * c;
  }
  const Ints nonzero = suml2 != 0;
  Floats scale = blend(nonzero, sumlx / suml2, Floats{});
  Floats best = scale * sumlx;
  Floats codes_inverse = inverse;  // the kept codes are rounded with this

  for (int step = -9; step <= 9; ++step) {
    if (step == 0) continue;
    inverse = -(nmax + 0.1f * static_cast<float>(step)) / max;
    sumlx = suml2 = Floats{};
    for (int i = 0; i < N; ++i) {
      const Floats c = __builtin_convertvector(codes_for(inverse, x[i]), Floats);
      const Floats weight = x[i] * x[i];
      sumlx += weight * x[i] * c;
      suml2 += weight * c * c;
    }
    const Ints better = (suml2 > 0) & (sumlx * sumlx > best * suml2);
    const Floats this_scale = sumlx / suml2;
    scale = blend(better, this_scale, scale);
    best = blend(better, this_scale * sumlx, best);
    codes_inverse = blend(better, inverse, codes_inverse);
  }

  Ints codes[N];
  for (int i = 0; i < N; ++i) codes[i] = codes_for(codes_inverse, x[i]);
  for (int l = 0; l < Lanes; ++l) {
    const bool zero = absmax[l] < kGroupMaxEps;
    scales_out[l] = zero ? 0.f : scale[l];
    for (int i = 0; i < N; ++i) {
      codes_out[l * N + i] = zero ? int8_t{0} : static_cast<int8_t>(codes[i][l] + nmax_int);
    }
  }
}

template void fit_offset_codes<16, 16>(const OffsetSearch&, const float*, const float*, uint8_t*,
                                       float*, float*);
template void fit_offset_codes<8, 32>(const OffsetSearch&, const float*, const float*, uint8_t*,
                                      float*, float*);
template void fit_symmetric_codes<16, 16>(int, const float*, int8_t*, float*);

}  // namespace weft::tensor::ref
