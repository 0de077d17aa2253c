// YaRN rope scaling (rope.scaling.type yarn) against the published method, recomputed here in
// double from its definition (Peng et al. 2023, "YaRN: Efficient Context Window Extension of
// Large Language Models", and its reference LlamaYaRNScaledRotaryEmbedding): the correction
// range of dimensions between β_fast = 32 and β_slow = 1 rotations over the original
// context, a linear ramp over it from extrapolation to interpolation (frequency / factor),
// and cos/sin scaled by 0.1·ln(factor) + 1.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_writer.hpp"
#include "model/model_config.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "tensor/kernels.hpp"

namespace weft {
namespace {

struct YarnCase {
  double factor;
  uint32_t original_context;
};

// A one-layer gpt-oss file (heads of 32: 16 rotated pairs) with these rope.scaling keys.
std::vector<std::byte> yarn_model_bytes(const YarnCase& yarn) {
  model::synthetic::SyntheticOptions options;
  options.shape = model::synthetic::custom_shape("gpt-oss");
  options.shape.embedding = 64;
  options.shape.layers = 1;
  options.shape.heads = 2;
  options.shape.kv_heads = 1;
  options.shape.feed_forward = 32;
  options.shape.vocab = 260;
  options.shape.experts = 2;
  options.shape.experts_used = 1;
  options.shape.sliding_window = 8;
  options.shape.yarn_factor = static_cast<float>(yarn.factor);
  options.shape.yarn_original_context = yarn.original_context;
  options.recipe = *model::synthetic::parse_type_recipe("f32");
  options.threads = 1;
  return model::synthetic::SyntheticModel::generate(options).writer().to_bytes();
}

// The published definition, in double.
struct PublishedYarn {
  std::vector<double> inverse_frequencies;  // after the ramp's mix
  double magnitude = 1;
};

PublishedYarn published_yarn(double base, int n_rot, const YarnCase& yarn) {
  const auto correction_dimension = [&](double rotations) {
    return n_rot * std::log(yarn.original_context / (rotations * 2 * std::numbers::pi)) /
           (2 * std::log(base));
  };
  const double low = std::max(0.0, std::floor(correction_dimension(32)));
  const double high = std::min(n_rot - 1.0, std::ceil(correction_dimension(1)));
  PublishedYarn result;
  for (int i = 0; i < n_rot / 2; ++i) {
    const double extrapolated = std::pow(base, -2.0 * i / n_rot);
    const double interpolated = extrapolated / yarn.factor;
    const double ramp = std::clamp((i - low) / std::max(0.001, high - low), 0.0, 1.0);
    const double extrapolation_share = 1 - ramp;
    result.inverse_frequencies.push_back(interpolated * (1 - extrapolation_share) +
                                         extrapolated * extrapolation_share);
  }
  result.magnitude = 0.1 * std::log(yarn.factor) + 1;
  return result;
}

class RopeYarnTest : public ::testing::TestWithParam<YarnCase> {};

TEST_P(RopeYarnTest, RotationIsThePublishedOne) {
  const YarnCase yarn = GetParam();
  const auto bytes = yarn_model_bytes(yarn);
  const auto file = gguf::GgufFile::from_buffer(bytes, "yarn");
  const auto config = model::read_model_config(*file, {});
  ASSERT_EQ(config.n_rot, 32);
  ASSERT_EQ(config.rope_yarn_ramp.size(), 16u);
  EXPECT_EQ(config.rope_frequency_scale, 1.0);  // YaRN's scale is not folded into the table
  const PublishedYarn expected = published_yarn(config.rope_base, 32, yarn);
  EXPECT_NEAR(config.rope_yarn_magnitude, expected.magnitude, 1e-6);

  // The rotation of a head of ones at a few positions, by the reference kernels (double
  // angles) and the rounded-activations ones (GGML's float angles).
  std::vector<double> unscaled(16);
  for (int i = 0; i < 16; ++i) unscaled[i] = std::pow(config.rope_base, -2.0 * i / 32);
  const tensor::RopeYarn scaling{config.rope_yarn_frequency_scale, config.rope_yarn_magnitude,
                                 config.rope_yarn_ramp.data()};
  const tensor::RopeShape shape{1, 32, 32, tensor::RopeMode::neox, unscaled.data(), &scaling};
  for (const int64_t position : {1, 37, 200}) {
    for (const auto choice :
         {tensor::KernelChoice::reference, tensor::KernelChoice::rounded_activations}) {
      std::vector<float> head(32, 1.0f);
      tensor::kernels_for(choice).rope(head.data(), shape, position);
      // GGML's angles are float products stepped pair by pair: each step may lose 2⁻²⁴ of
      // the angle, at most 16 steps here.
      const double tolerance = choice == tensor::KernelChoice::reference
                                   ? 1e-5
                                   : 1e-5 + 16 * std::ldexp(static_cast<double>(position), -23);
      for (int i = 0; i < 16; ++i) {
        const double angle = position * expected.inverse_frequencies[i];
        const double c = std::cos(angle) * expected.magnitude;
        const double s = std::sin(angle) * expected.magnitude;
        EXPECT_NEAR(head[i], c - s, tolerance) << "position " << position << " pair " << i;
        EXPECT_NEAR(head[i + 16], s + c, tolerance) << "position " << position << " pair " << i;
      }
    }
  }
}

// gpt-oss's own (factor 32 over 4096 positions) and another factor and context.
INSTANTIATE_TEST_SUITE_P(Factors, RopeYarnTest,
                         ::testing::Values(YarnCase{32.0, 4096}, YarnCase{8.0, 2048}));

TEST(RopeYarn, UnknownScalingIsRefusedWithItsKey) {
  const auto bytes = yarn_model_bytes({32.0, 4096});
  const auto file = gguf::GgufFile::from_buffer(bytes, "yarn");
  auto writer = gguf::GgufWriter::copy_of(*file);
  writer.set_string("gpt-oss.rope.scaling.type", "longrope");
  const auto edited = writer.to_bytes();
  try {
    model::read_model_config(*gguf::GgufFile::from_buffer(edited, "edited"), {});
    FAIL() << "loaded";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("supported: none, linear, yarn"), std::string::npos)
        << error.what();
  }
}

}  // namespace
}  // namespace weft
