// MXFP4 (src/tensor/formats/mxfp4_quant.hpp) against llama-quantize's bytes and the format's
// definition: the quantiser writes what llama-quantize's MXFP4_MOE wrote for two expert
// tensors of the gpt-oss test model (tests/data/gpt-oss/README.md), the dequantiser gives the
// E2M1 values times 2^(e − 127), and the product with Q8_0 activations is the exact sum
// within float rounding. (The whole MXFP4_MOE file and llama.cpp's logits on it:
// tests/model/gpt_oss_test.cpp.)
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "support/gpt_oss_model.hpp"
#include "support/sha256_digest.hpp"
#include "tensor/formats/half.hpp"
#include "tensor/formats/mxfp4_quant.hpp"
#include "tensor/formats/quant_blocks.hpp"
#include "tensor/quant_formats.hpp"

namespace weft::tensor {
namespace {

std::vector<std::byte> read_mxfp4_reference(const std::string& file) {
  std::ifstream in(std::filesystem::path(WEFT_SOURCE_DIR) / "tests/data/gpt-oss" / file,
                   std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> result(bytes.size());
  std::memcpy(result.data(), bytes.data(), bytes.size());
  return result;
}

TEST(Mxfp4, QuantiseWritesLlamaQuantizesBytes) {
  // gpt-oss-f32.gguf of tests/data/gpt-oss/README.md, which llama-quantize read.
  const auto bytes = test::gpt_oss_test_model("f32");
  ASSERT_EQ(test::sha256_hex(bytes),
            "f471adefb4acaed6812e7da49c867f5c0f39f8c6ad05998c435b424c33cf04f0");
  const auto file = gguf::GgufFile::from_buffer(bytes, "gpt-oss-f32");
  for (const std::string name : {"blk.0.ffn_up_exps.weight", "blk.1.ffn_down_exps.weight"}) {
    SCOPED_TRACE(name);
    const auto* view = file->find_tensor(name);
    ASSERT_NE(view, nullptr);
    const auto count = static_cast<int64_t>(view->size_bytes / sizeof(float));
    std::vector<float> values(static_cast<size_t>(count));
    std::memcpy(values.data(), view->data, view->size_bytes);
    std::vector<BlockMXFP4> blocks(static_cast<size_t>(count / kMxfp4BlockSize));
    quantize_mxfp4(values.data(), blocks.data(), count);
    const auto expected = read_mxfp4_reference(name + ".mxfp4");
    ASSERT_EQ(expected.size(), blocks.size() * sizeof(BlockMXFP4));
    EXPECT_EQ(std::memcmp(blocks.data(), expected.data(), expected.size()), 0);
    // And back: every value within half a step of its block's grid (steps ≤ 2^(e − 126)).
    std::vector<float> restored(values.size());
    dequantize_mxfp4(blocks.data(), restored.data(), count);
    for (int64_t i = 0; i < count; ++i) {
      const float step = 4 * mxfp4_half_scale(blocks[static_cast<size_t>(i / 32)].e);
      ASSERT_LE(std::fabs(restored[static_cast<size_t>(i)] - values[static_cast<size_t>(i)]), step)
          << i;
    }
  }
}

TEST(Mxfp4, DequantiseIsTheE2M1ValuesTimesThePowerOfTwo) {
  BlockMXFP4 block{};
  block.e = 127;  // scale 1
  for (int j = 0; j < 16; ++j)
    block.qs[j] = static_cast<uint8_t>(j | (15 - j) << 4);  // codes j and 15 − j
  float values[32];
  dequantize_mxfp4(&block, values, 32);
  const float e2m1[16] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2, -3, -4, -6};
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(values[j], e2m1[j]) << j;
    EXPECT_EQ(values[j + 16], e2m1[15 - j]) << j;
  }
  EXPECT_EQ(mxfp4_half_scale(0), std::ldexp(1.0f, -128));  // subnormal
  EXPECT_EQ(mxfp4_half_scale(1), std::ldexp(1.0f, -127));
  EXPECT_EQ(mxfp4_half_scale(2), std::ldexp(1.0f, -126));
  EXPECT_EQ(mxfp4_half_scale(254), std::ldexp(1.0f, 126));
}

TEST(Mxfp4, ProductWithQ8_0ActivationsIsTheExactSum) {
  for (const int64_t n_blocks : {1, 2, 7, 8}) {  // odd counts take the unpaired tail
    SCOPED_TRACE(n_blocks);
    const int64_t n = n_blocks * kMxfp4BlockSize;
    std::vector<float> w(static_cast<size_t>(n)), x(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      w[static_cast<size_t>(i)] = std::sin(0.7f * static_cast<float>(i)) * (1 + i % 5);
      x[static_cast<size_t>(i)] = std::cos(0.3f * static_cast<float>(i)) - 0.2f;
    }
    std::vector<BlockMXFP4> weights(static_cast<size_t>(n_blocks));
    quantize_mxfp4(w.data(), weights.data(), n);
    std::vector<BlockQ8_0> activations(static_cast<size_t>(n_blocks));
    quantize_row(ElementType::Q8_0, x.data(), activations.data(), n);
    std::vector<int8_t> x_ints(static_cast<size_t>(n));
    std::vector<float> x_scales(static_cast<size_t>(n_blocks));
    for (int64_t b = 0; b < n_blocks; ++b) {
      x_scales[static_cast<size_t>(b)] = fp16_to_fp32(activations[static_cast<size_t>(b)].d);
      std::memcpy(x_ints.data() + b * 32, activations[static_cast<size_t>(b)].qs, 32);
    }
    std::vector<float> w_values(static_cast<size_t>(n));
    dequantize_mxfp4(weights.data(), w_values.data(), n);
    double exact = 0;
    double magnitude = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double product = static_cast<double>(w_values[static_cast<size_t>(i)]) *
                             x_ints[static_cast<size_t>(i)] * x_scales[static_cast<size_t>(i / 32)];
      exact += product;
      magnitude += std::fabs(product);
    }
    const float dot = mxfp4_q8_0_dot(weights.data(), x_ints.data(), x_scales.data(), n_blocks);
    EXPECT_NEAR(dot, exact, 1e-6 * magnitude);
  }
}

}  // namespace
}  // namespace weft::tensor
