// The scale searches of GGML's K-quant reference quantisers, run on all sub-blocks of a
// super-block at once.
//
// GGML fits one sub-block at a time; its float sums are sequential, so a scalar port is
// bound by add latency. Here each sub-block is a lane: every lane performs exactly GGML's
// operations in GGML's order (so the codes and bytes are identical), while independent
// lanes give the CPU parallel work and the compiler vectorisable loops.
#pragma once

#include <bit>
#include <cstdint>

namespace weft::tensor::ref {

// GGML's GROUP_MAX_EPS: a (sub-)block whose largest magnitude is below it is all zeros.
inline constexpr float kGroupMaxEps = 1e-15f;

// Round to nearest, ties to even, exact for |value| < 2^22: adding 1.5·2^23 makes float
// addition do the rounding and leaves the integer in the low mantissa bits. Out of that
// range (or for NaN) the result is garbage but defined, as in GGML, whose codes this must
// reproduce even then.
inline int nearest_even(float value) {
  const float shifted = value + 12582912.f;
  return static_cast<int>(std::bit_cast<uint32_t>(shifted) & 0x7fffffu) - 0x400000;
}

struct OffsetSearch {
  int nmax;    // codes are 0..nmax
  float rmin;  // candidate inverse scales: (nmax + rmin + rdelta·k) / (max - min)
  float rdelta;
  int steps;      // k = 0..steps
  bool absolute;  // weighted |error| instead of weighted squared error
};

// For each of `Lanes` sub-blocks of `N` values (x and weights: sub-block after sub-block),
// codes in [0, nmax] with value ≈ scale·code − min, min ≥ 0: GGML's make_qkx2_quants.
// Writes codes (same layout as x), scales[Lanes] and mins[Lanes].
template <int Lanes, int N>
void fit_offset_codes(const OffsetSearch& search, const float* x, const float* weights,
                      uint8_t* codes, float* scales, float* mins);

// For each of `Lanes` sub-blocks of `N` values, symmetric codes in [-nmax, nmax) stored
// offset by nmax, weighted by x², with a scale search over nmax ± 0.9: GGML's
// make_qx_quants (rmse_type 1, no importance weights). Writes codes and scales[Lanes].
template <int Lanes, int N>
void fit_symmetric_codes(int nmax, const float* x, int8_t* codes, float* scales);

}  // namespace weft::tensor::ref
