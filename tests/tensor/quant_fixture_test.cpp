// The formats against files llama.cpp wrote: ../shared/fixtures/llama/llama-<variant>.gguf
// were quantised by llama-quantize from llama-f32.gguf (see the fixtures README).
//  - Dequantising each 2-D tensor reproduces the F32 tensor within the type's error.
//  - Quantising the F32 tensor with our reference quantiser gives the very same bytes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "support/shared_files.hpp"
#include "tensor/formats/element_type.hpp"
#include "tensor/quant_formats.hpp"

namespace weft::tensor {
namespace {

struct QuantFixtureCase {
  std::string variant;  // file name part
  ElementType type;     // type of every 2-D tensor in that file
  // Bound on RMS(error)/RMS(weights) per tensor. The fixture weights are Gaussian, so these
  // are the random-data bounds of quant_roundtrip_test; docs/formats.md lists measured values.
  double relative_rms;
};

const QuantFixtureCase kCases[] = {
    {"f16", ElementType::F16, 3e-4},    {"bf16", ElementType::BF16, 3e-3},
    {"q8_0", ElementType::Q8_0, 0.008}, {"q6_k", ElementType::Q6_K, 0.025},
    {"q5_0", ElementType::Q5_0, 0.05},  {"q5_1", ElementType::Q5_1, 0.045},
    {"q5_k", ElementType::Q5_K, 0.045}, {"q4_0", ElementType::Q4_0, 0.1},
    {"q4_1", ElementType::Q4_1, 0.09},  {"q4_k", ElementType::Q4_K, 0.09},
    {"q3_k", ElementType::Q3_K, 0.2},   {"q2_k", ElementType::Q2_K, 0.4},
};

std::shared_ptr<const gguf::GgufFile> open_fixture(const std::string& variant) {
  return gguf::GgufFile::open(
      test::shared_path("fixtures/llama/llama-" + variant + ".gguf").string());
}

std::vector<float> as_floats(const gguf::TensorView& tensor) {
  std::vector<float> values(tensor.element_count());
  std::memcpy(values.data(), tensor.data, values.size() * sizeof(float));
  return values;
}

class QuantFixture : public ::testing::TestWithParam<QuantFixtureCase> {
 protected:
  void SetUp() override {
    reference_ = open_fixture("f32");
    quantised_ = open_fixture(GetParam().variant);
  }

  // The 2-D tensors of the quantised file with their F32 originals.
  template <typename Visit>
  void for_each_matrix(Visit visit) {
    int matrices = 0;
    for (const auto& tensor : quantised_->tensors()) {
      if (tensor.shape.size() < 2) continue;
      const gguf::TensorView* original = reference_->find_tensor(tensor.name);
      ASSERT_NE(original, nullptr) << tensor.name;
      ASSERT_EQ(original->type, ElementType::F32);
      ASSERT_EQ(original->shape, tensor.shape) << tensor.name;
      ASSERT_EQ(tensor.type, GetParam().type) << tensor.name;
      visit(tensor, *original);
      ++matrices;
    }
    EXPECT_GE(matrices, 16);  // 2 layers × 7 matrices + embedding + output
  }

  std::shared_ptr<const gguf::GgufFile> reference_;
  std::shared_ptr<const gguf::GgufFile> quantised_;
};

TEST_P(QuantFixture, DequantisedWeightsMatchF32Model) {
  double worst = 0;
  for_each_matrix([&](const gguf::TensorView& tensor, const gguf::TensorView& original) {
    const auto n = static_cast<int64_t>(tensor.element_count());
    std::vector<float> values(static_cast<size_t>(n));
    dequantize_row(tensor.type, tensor.data, values.data(), n);
    const std::vector<float> expected = as_floats(original);
    double err = 0, ref = 0;
    for (size_t i = 0; i < values.size(); ++i) {
      err += (static_cast<double>(values[i]) - expected[i]) *
             (static_cast<double>(values[i]) - expected[i]);
      ref += static_cast<double>(expected[i]) * expected[i];
    }
    const double relative = std::sqrt(err / ref);
    worst = std::max(worst, relative);
    EXPECT_LE(relative, GetParam().relative_rms) << tensor.name;
  });
  RecordProperty("worst_relative_rms_error", std::to_string(worst));
  std::printf("%s: worst tensor relative RMS error %.6f (bound %.4f)\n", GetParam().variant.c_str(),
              worst, GetParam().relative_rms);
}

TEST_P(QuantFixture, ReferenceQuantiserIsByteIdentical) {
  const uint32_t block_bytes = traits_of(GetParam().type).block_bytes;
  uint64_t blocks = 0;
  uint64_t differing_blocks = 0;
  for_each_matrix([&](const gguf::TensorView& tensor, const gguf::TensorView& original) {
    const auto n = static_cast<int64_t>(tensor.element_count());
    std::vector<unsigned char> ours(tensor.size_bytes);
    quantize_row(tensor.type, reinterpret_cast<const float*>(original.data), ours.data(), n);
    const auto* theirs = reinterpret_cast<const unsigned char*>(tensor.data);
    uint64_t differing = 0;
    for (uint64_t offset = 0; offset < tensor.size_bytes; offset += block_bytes) {
      if (std::memcmp(ours.data() + offset, theirs + offset, block_bytes) != 0) ++differing;
    }
    blocks += tensor.size_bytes / block_bytes;
    differing_blocks += differing;
    EXPECT_EQ(differing, 0u) << tensor.name << ": " << differing << " of "
                             << tensor.size_bytes / block_bytes << " blocks differ";
  });
  std::printf("%s: %llu of %llu blocks byte-identical\n", GetParam().variant.c_str(),
              static_cast<unsigned long long>(blocks - differing_blocks),
              static_cast<unsigned long long>(blocks));
}

INSTANTIATE_TEST_SUITE_P(Llama, QuantFixture, ::testing::ValuesIn(kCases),
                         [](const auto& info) { return info.param.variant; });

}  // namespace
}  // namespace weft::tensor

namespace weft::tensor {
namespace {

// The mixed Q4_K_M file: every matrix, whatever its type, re-quantises to the same bytes.
TEST(QuantFixtureMixed, Q4KMTensorsAreByteIdentical) {
  const auto reference = open_fixture("f32");
  const auto mixed = open_fixture("q4_k_m");
  int matrices = 0;
  for (const auto& tensor : mixed->tensors()) {
    if (tensor.shape.size() < 2) continue;
    const gguf::TensorView* original = reference->find_tensor(tensor.name);
    ASSERT_NE(original, nullptr) << tensor.name;
    std::vector<unsigned char> ours(tensor.size_bytes);
    quantize_row(tensor.type, reinterpret_cast<const float*>(original->data), ours.data(),
                 static_cast<int64_t>(tensor.element_count()));
    EXPECT_EQ(std::memcmp(ours.data(), tensor.data, tensor.size_bytes), 0)
        << tensor.name << " (" << traits_of(tensor.type).name << ")";
    ++matrices;
  }
  EXPECT_GE(matrices, 16);
}

}  // namespace
}  // namespace weft::tensor
