// `weft embed` end to end: a nomic-bert file written by `weft mkmodel` (the file of
// tests/data/bert, CLS pooling), the four sentences on stdin, one vector per line — with
// --raw llama-embedding's vectors, without it the same directions at unit length; and clear
// errors for a missing model or no text.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/encoder_model.hpp"
#include "support/run_weft.hpp"
#include "support/run_weft_input.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

std::vector<std::vector<double>> embed_cli_vectors(const std::string& text) {
  std::vector<std::vector<double>> vectors;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    std::istringstream in(line);
    auto& vector = vectors.emplace_back();
    for (double value; in >> value;) vector.push_back(value);
  }
  return vectors;
}

double embed_cli_cosine(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double dot = 0, aa = 0, bb = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    dot += a[i] * b[i];
    aa += a[i] * a[i];
    bb += b[i] * b[i];
  }
  return dot / std::sqrt(aa * bb);
}

TEST(EmbedCommand, PrintsLlamaEmbeddingsVectorsOfEachStdinLine) {
  const std::filesystem::path data = std::filesystem::path(WEFT_SOURCE_DIR) / "tests/data/bert";
  const std::string model = (std::filesystem::temp_directory_path() /
                             ("weft-embed-" + std::to_string(::getpid()) + ".gguf"))
                                .string();
  const auto made = test::make_encoder_test_model("nomic-bert", "cls", model);
  ASSERT_EQ(made.exit_code, 0) << made.err;
  std::ifstream reference_file(data / "nomic-bert-cls.embeddings.txt");
  std::stringstream reference_text;
  reference_text << reference_file.rdbuf();
  const auto references = embed_cli_vectors(reference_text.str());
  ASSERT_EQ(references.size(), 4u);

  std::ifstream inputs_file(data / "inputs.txt");
  std::stringstream inputs;
  inputs << inputs_file.rdbuf();
  for (const bool raw : {true, false}) {
    std::vector<std::string> arguments = {"embed", model, "-t", "2"};
    if (raw) arguments.push_back("--raw");
    const auto result = test::run_weft_with_input(arguments, inputs.str());
    ASSERT_EQ(result.exit_code, 0) << result.err;
    const auto vectors = embed_cli_vectors(result.out);
    ASSERT_EQ(vectors.size(), references.size()) << result.out;
    for (size_t i = 0; i < vectors.size(); ++i) {
      EXPECT_GE(embed_cli_cosine(vectors[i], references[i]), 0.9999) << "input " << i;
      double squares = 0;
      for (double value : vectors[i]) squares += value * value;
      if (raw) {
        EXPECT_GT(std::abs(squares - 1.0), 1e-3) << "--raw leaves the length as pooled";
      } else {
        EXPECT_NEAR(squares, 1.0, 1e-5) << "unit vectors by default";
      }
    }
  }
  const auto no_model = test::run_weft({"embed", model + ".missing", "text"});
  EXPECT_NE(no_model.exit_code, 0);
  EXPECT_NE(no_model.err.find(".missing"), std::string::npos) << no_model.err;
  const auto no_text = test::run_weft_with_input({"embed", model}, "");
  EXPECT_NE(no_text.exit_code, 0);
  EXPECT_NE(no_text.err.find("no text to embed"), std::string::npos) << no_text.err;
  std::filesystem::remove(model);
}

}  // namespace
}  // namespace weft
