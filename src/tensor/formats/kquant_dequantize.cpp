// Dequantisation of the K-quant super-block formats: Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K.
#include "tensor/formats/half.hpp"
#include "tensor/formats/quant_reference.hpp"

namespace weft::tensor::ref {

void dequantize(const BlockQ2_K* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b) {
    const BlockQ2_K& block = blocks[b];
    const float d = fp16_to_fp32(block.d);
    const float dmin = fp16_to_fp32(block.dmin);
    int sub = 0;
    // Each 128-value half uses 32 bytes of qs; bit pair `shift` of byte l holds value
    // l (+16 for the second sub-block) of the group of 32 at that shift.
    for (int half = 0; half < 2; ++half) {
      const uint8_t* q = block.qs + 32 * half;
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part, ++sub) {
          const float scale = d * static_cast<float>(block.scales[sub] & 0xf);
          const float offset = dmin * static_cast<float>(block.scales[sub] >> 4);
          for (int l = 0; l < 16; ++l) {
            *dst++ = scale * static_cast<float>((q[l + 16 * part] >> shift) & 3) - offset;
          }
        }
      }
    }
  }
}

void dequantize(const BlockQ3_K* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b) {
    const BlockQ3_K& block = blocks[b];
    const float d = fp16_to_fp32(block.d);
    int8_t scales[16];
    q3k_scales(block.scales, scales);
    int sub = 0;
    int high_bit = 0;  // hmask bit `high_bit` covers group of 32 number `high_bit`
    for (int half = 0; half < 2; ++half) {
      const uint8_t* q = block.qs + 32 * half;
      for (int shift = 0; shift < 8; shift += 2, ++high_bit) {
        for (int part = 0; part < 2; ++part, ++sub) {
          const float scale = d * static_cast<float>(scales[sub]);
          for (int l = 0; l < 16; ++l) {
            const int i = l + 16 * part;
            const int low = (q[i] >> shift) & 3;
            const int minus = (block.hmask[i] >> high_bit) & 1 ? 0 : 4;
            *dst++ = scale * static_cast<float>(low - minus);
          }
        }
      }
    }
  }
}

void dequantize(const BlockQ4_K* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b) {
    const BlockQ4_K& block = blocks[b];
    const float d = fp16_to_fp32(block.d);
    const float dmin = fp16_to_fp32(block.dmin);
    // Each 32 bytes of qs hold two sub-blocks: low nibbles, then high nibbles.
    for (int pair = 0; pair < 4; ++pair) {
      const uint8_t* q = block.qs + 32 * pair;
      const ScaleMin first = k4_scale_min(block.scales, 2 * pair);
      const ScaleMin second = k4_scale_min(block.scales, 2 * pair + 1);
      const float scale1 = d * static_cast<float>(first.scale);
      const float offset1 = dmin * static_cast<float>(first.min);
      const float scale2 = d * static_cast<float>(second.scale);
      const float offset2 = dmin * static_cast<float>(second.min);
      for (int l = 0; l < 32; ++l) *dst++ = scale1 * static_cast<float>(q[l] & 0xf) - offset1;
      for (int l = 0; l < 32; ++l) *dst++ = scale2 * static_cast<float>(q[l] >> 4) - offset2;
    }
  }
}

void dequantize(const BlockQ5_K* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b) {
    const BlockQ5_K& block = blocks[b];
    const float d = fp16_to_fp32(block.d);
    const float dmin = fp16_to_fp32(block.dmin);
    for (int pair = 0; pair < 4; ++pair) {
      const uint8_t* q = block.qs + 32 * pair;
      const ScaleMin first = k4_scale_min(block.scales, 2 * pair);
      const ScaleMin second = k4_scale_min(block.scales, 2 * pair + 1);
      const float scale1 = d * static_cast<float>(first.scale);
      const float offset1 = dmin * static_cast<float>(first.min);
      const float scale2 = d * static_cast<float>(second.scale);
      const float offset2 = dmin * static_cast<float>(second.min);
      const int bit1 = 2 * pair;  // qh bit of the first sub-block, the next bit for the second
      for (int l = 0; l < 32; ++l) {
        const int value = (q[l] & 0xf) | (((block.qh[l] >> bit1) & 1) << 4);
        *dst++ = scale1 * static_cast<float>(value) - offset1;
      }
      for (int l = 0; l < 32; ++l) {
        const int value = (q[l] >> 4) | (((block.qh[l] >> (bit1 + 1)) & 1) << 4);
        *dst++ = scale2 * static_cast<float>(value) - offset2;
      }
    }
  }
}

void dequantize(const BlockQ6_K* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b) {
    const BlockQ6_K& block = blocks[b];
    const float d = fp16_to_fp32(block.d);
    // Each 128-value half: 64 bytes of ql, 32 of qh, 8 scales. Byte l of ql/qh feeds
    // values l, l+32, l+64, l+96.
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = block.ql + 64 * half;
      const uint8_t* qh = block.qh + 32 * half;
      const int8_t* scales = block.scales + 8 * half;
      for (int l = 0; l < 32; ++l) {
        const int sub = l / 16;
        const int q1 = ((ql[l] & 0xf) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xf) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        dst[l] = d * static_cast<float>(scales[sub]) * static_cast<float>(q1);
        dst[l + 32] = d * static_cast<float>(scales[sub + 2]) * static_cast<float>(q2);
        dst[l + 64] = d * static_cast<float>(scales[sub + 4]) * static_cast<float>(q3);
        dst[l + 96] = d * static_cast<float>(scales[sub + 6]) * static_cast<float>(q4);
      }
      dst += 128;
    }
  }
}

void dequantize(const BlockQ8_K* blocks, float* dst, int64_t count) {
  for (int64_t b = 0; b < count; ++b) {
    for (int j = 0; j < kSuperBlock; ++j)
      *dst++ = blocks[b].d * static_cast<float>(blocks[b].qs[j]);
  }
}

}  // namespace weft::tensor::ref
