// `weft quantize` and `weft perplexity` end to end: the quantised file equals llama-quantize's,
// `weft eval` generates from it, and the perplexity printed is llama-perplexity's.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <string>

#include "support/run_weft.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

using test::run_weft;

std::string quantized_output_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("weft-quantize-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST(QuantizeCommand, WritesLlamaQuantizesFileAndItGenerates) {
  const std::string output = quantized_output_path("q6_k.gguf");
  const auto stories = test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  const auto result = run_weft({"quantize", stories, output, "Q6_K", "-t", "2"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // One progress line per tensor (48) and the summary.
  EXPECT_NE(result.err.find("[  48/  48]"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("general.file_type 18"), std::string::npos) << result.err;
  EXPECT_TRUE(test::read_file_bytes(output) ==
              test::read_file_bytes(
                  test::shared_path("models/stories260K/stories260K-q6_k-fallback.gguf")));
  const auto eval = run_weft({"eval", output, "--tokens", "1 403 407", "--greedy", "8"});
  ASSERT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_FALSE(eval.out.empty());
  std::filesystem::remove(output);
}

TEST(QuantizeCommand, RefusesAnUnknownTypeNamingTheKnownOnes) {
  const auto stories = test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  const auto result = run_weft({"quantize", stories, quantized_output_path("x.gguf"), "Q7_K"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("unknown type 'Q7_K'"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("Q4_K_M"), std::string::npos) << result.err;
}

TEST(PerplexityCommand, PrintsLlamaPerplexitysFigures) {
  const auto stories = test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  const std::string text = std::string(WEFT_SOURCE_DIR) + "/tests/data/perplexity/stories.txt";
  const auto result = run_weft(
      {"perplexity", stories, text, "--ctx", "128", "-t", "2", "--kernels", "rounded-activations"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  // llama-perplexity -c 128 -fa off printed [1]3.5972 … [20]4.5068 and PPL = 4.5068 +/- 0.22450
  // (tests/data/perplexity/references.tsv); these kernels round activations as it does.
  EXPECT_EQ(result.out.rfind("[1]3.597", 0), 0u) << result.out;
  EXPECT_NE(result.out.find(",[20]4.50"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("Final estimate: PPL = 4.50"), std::string::npos) << result.out;
}

TEST(PerplexityCommand, RefusesATextTooShortForTwoChunks) {
  const auto stories = test::shared_path("models/stories260K/stories260K-f32.gguf").string();
  const std::string text = std::string(WEFT_SOURCE_DIR) + "/tests/data/perplexity/stories.txt";
  const auto result = run_weft({"perplexity", stories, text, "--ctx", "2048"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("needs at least 4096"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace weft
