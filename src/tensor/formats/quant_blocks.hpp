// Byte layouts of GGML's quantised blocks, field for field (little-endian, no padding).
//
// Half-precision fields are raw IEEE binary16 bits (see half.hpp). K-quant super-blocks
// hold kSuperBlock values split into sub-blocks of 16 or 32 with their own scales.
#pragma once

#include <cstdint>

namespace weft::tensor {

inline constexpr int kBlock32 = 32;      // values per block of the Q4_0..Q8_1 family
inline constexpr int kSuperBlock = 256;  // values per K-quant super-block

// value[j] = (nibble - 8)·d; low nibbles hold values 0..15, high nibbles 16..31.
struct BlockQ4_0 {
  uint16_t d;
  uint8_t qs[kBlock32 / 2];
};

// value[j] = nibble·d + m.
struct BlockQ4_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qs[kBlock32 / 2];
};

// As Q4_0 with a fifth bit per value in qh (bit j of the little-endian word), offset 16.
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];
  uint8_t qs[kBlock32 / 2];
};

// As Q4_1 with a fifth bit per value in qh.
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kBlock32 / 2];
};

// value[j] = qs[j]·d.
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kBlock32];
};

// As Q8_0 plus s = d·Σqs, which dot kernels use to fold in the other operand's offset.
struct BlockQ8_1 {
  uint16_t d;
  uint16_t s;
  int8_t qs[kBlock32];
};

// 16 sub-blocks of 16: scales[i] low nibble scales d, high nibble scales dmin;
// 2-bit values, four per byte (bit pairs 0,2,4,6 hold values 32 apart in each 128 half).
struct BlockQ2_K {
  uint8_t scales[kSuperBlock / 16];
  uint8_t qs[kSuperBlock / 4];
  uint16_t d;
  uint16_t dmin;
};

// 16 sub-blocks of 16 with 6-bit signed scales (offset 32) packed into 12 bytes;
// 2 low bits per value in qs, the third bit in hmask (cleared bit means subtract 4).
struct BlockQ3_K {
  uint8_t hmask[kSuperBlock / 8];
  uint8_t qs[kSuperBlock / 4];
  uint8_t scales[12];
  uint16_t d;
};

// 8 sub-blocks of 32 with 6-bit scales and 6-bit mins packed into 12 bytes;
// value = d·scale·nibble - dmin·min.
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qs[kSuperBlock / 2];
};

// As Q4_K with a fifth bit per value in qh.
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];
  uint8_t qh[kSuperBlock / 8];
  uint8_t qs[kSuperBlock / 2];
};

// 16 sub-blocks of 16 with int8 scales; 6-bit values (offset 32): 4 low bits in ql,
// 2 high bits in qh.
struct BlockQ6_K {
  uint8_t ql[kSuperBlock / 2];
  uint8_t qh[kSuperBlock / 4];
  int8_t scales[kSuperBlock / 16];
  uint16_t d;
};

// Activation format of K-quant dot products: float scale, int8 values, and the sum of
// every 16 values.
struct BlockQ8_K {
  float d;
  int8_t qs[kSuperBlock];
  int16_t bsums[kSuperBlock / 16];
};

// The sixteen values of the non-linear 4-bit formats (IQ4_NL, IQ4_XS), indexed by the nibble:
// denser near zero, where most weights are.
inline constexpr int8_t kIq4Values[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                          1,    13,   25,  38,  53,  69,  89,  113};

// value[j] = kIq4Values[nibble]·d; low nibbles hold values 0..15, high nibbles 16..31.
struct BlockIQ4_NL {
  uint16_t d;
  uint8_t qs[kBlock32 / 2];
};

// 8 sub-blocks of 32 as IQ4_NL, each with a 6-bit signed scale (offset 32): its low four bits
// in scales_l (sub-block 2i: low nibble of byte i, 2i + 1: high nibble), its top two in
// scales_h (bits 2j, 2j + 1 for sub-block j); value = d·(scale − 32)·kIq4Values[nibble].
struct BlockIQ4_XS {
  uint16_t d;
  uint16_t scales_h;
  uint8_t scales_l[kSuperBlock / 64];
  uint8_t qs[kSuperBlock / 2];
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);
static_assert(sizeof(BlockIQ4_NL) == 18);
static_assert(sizeof(BlockIQ4_XS) == 136);

// The signed scale (−32..31) of sub-block j (0..7) of an IQ4_XS block.
inline int iq4_xs_scale(const BlockIQ4_XS& block, int j) {
  const int low = (block.scales_l[j / 2] >> (4 * (j % 2))) & 0xf;
  const int high = (block.scales_h >> (2 * j)) & 3;
  return (low | (high << 4)) - 32;
}

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block.
struct ScaleMin {
  uint8_t scale;
  uint8_t min;
};
inline ScaleMin k4_scale_min(const uint8_t* packed, int j) {
  if (j < 4)
    return {static_cast<uint8_t>(packed[j] & 63), static_cast<uint8_t>(packed[j + 4] & 63)};
  return {static_cast<uint8_t>((packed[j + 4] & 0xf) | ((packed[j - 4] >> 6) << 4)),
          static_cast<uint8_t>((packed[j + 4] >> 4) | ((packed[j] >> 6) << 4))};
}

// The 16 signed scales (-32..31) of a Q3_K block.
inline void q3k_scales(const uint8_t* packed, int8_t* scales) {
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? packed[j] & 0xf : packed[j - 8] >> 4;
    const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
    scales[j] = static_cast<int8_t>((low | (high << 4)) - 32);
  }
}

}  // namespace weft::tensor
