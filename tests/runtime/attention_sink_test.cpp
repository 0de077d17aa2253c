// Attention sinks (gpt-oss's attn_sinks): a logit per head that joins the softmax's
// denominator and gives no value. softmax_with_sink (plain and fast paths) and GGML's softmax
// with a sink (rounded-activations) against the definition in double; and GGML's softmax
// takes libm's exp past its last whole vector.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "runtime/paged_attention.hpp"
#include "tensor/reference/ggml_cpu_numerics.hpp"

namespace weft::runtime {
namespace {

std::vector<double> sink_softmax_definition(const std::vector<float>& scores, float sink) {
  double denominator = std::exp(static_cast<double>(sink));
  for (float s : scores) denominator += std::exp(static_cast<double>(s));
  std::vector<double> result;
  for (float s : scores) result.push_back(std::exp(static_cast<double>(s)) / denominator);
  return result;
}

TEST(AttentionSink, TakesItsShareOfTheProbability) {
  const std::vector<float> scores = {0.5f, -1.0f, 2.0f, -INFINITY, 1.25f};
  for (const float sink : {-30.0f, 0.0f, 1.5f, 4.0f}) {  // 4: above every score
    SCOPED_TRACE(sink);
    const auto expected = sink_softmax_definition(scores, sink);
    auto plain = scores;
    softmax_with_sink(plain.data(), static_cast<int64_t>(plain.size()), sink);
    for (const int lanes : {tensor::ggml_cpu::kAvx2Lanes, tensor::ggml_cpu::kAvx512Lanes}) {
      std::vector<float> ggml(32, -INFINITY);  // GGML's padded row
      std::copy(scores.begin(), scores.end(), ggml.begin());
      tensor::ggml_cpu::softmax(ggml.data(), 32, lanes, &sink);
      for (size_t i = 0; i < scores.size(); ++i)
        EXPECT_NEAR(ggml[i], expected[i], 2e-7) << i << " lanes " << lanes;
    }
    double total = 0;
    for (size_t i = 0; i < scores.size(); ++i) {
      EXPECT_NEAR(plain[i], expected[i], 1e-7) << i;
      total += plain[i];
    }
    EXPECT_EQ(plain[3], 0.0f);
    EXPECT_LT(total, 1.0);  // the sink's share is missing
  }
}

TEST(AttentionSink, GgmlSoftmaxTakesLibmExpPastTheLastWholeVector) {
  // Two values (gpt-oss's two chosen experts): all tail, so exp is libm's and the result is
  // each exp over their sum in double, rounded.
  std::vector<float> chosen = {1.75f, -0.5f};
  tensor::ggml_cpu::softmax(chosen.data(), 2, tensor::ggml_cpu::kAvx2Lanes);
  const float first = std::exp(0.0f);
  const float second = std::exp(-0.5f - 1.75f);
  const auto inverse = static_cast<float>(1.0 / (static_cast<double>(first) + second));
  EXPECT_EQ(chosen[0], first * inverse);
  EXPECT_EQ(chosen[1], second * inverse);
}

}  // namespace
}  // namespace weft::runtime
