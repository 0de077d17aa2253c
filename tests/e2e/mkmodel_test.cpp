// `weft mkmodel` end to end: the command writes a file the reader accepts with the requested
// sizes, the same bytes for the same seed, and clear errors for bad requests.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "gguf/gguf_file.hpp"
#include "support/run_weft.hpp"
#include "support/shared_files.hpp"

namespace weft {
namespace {

using test::run_weft;

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("weft-mkmodel-" + std::to_string(::getpid()) + "-" + name))
      .string();
}

TEST(MkmodelCommand, WritesExplicitSizesDeterministically) {
  const std::string first = temp_path("a.gguf");
  const std::string second = temp_path("b.gguf");
  const std::vector<std::string> sizes = {
      "--arch",     "qwen2", "--dim", "128", "--layers", "3",   "--heads", "4",
      "--kv-heads", "2",     "--ffn", "256", "--vocab",  "300", "--type",  "q5_k_m"};
  auto args = std::vector<std::string>{"mkmodel"};
  args.insert(args.end(), sizes.begin(), sizes.end());
  auto with_output = [&](const std::string& path, const std::string& threads) {
    auto full = args;
    full.insert(full.end(), {"--seed", "5", "-t", threads, path});
    return full;
  };
  const auto result = run_weft(with_output(first, "1"));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  ASSERT_EQ(run_weft(with_output(second, "2")).exit_code, 0);
  EXPECT_EQ(test::read_file_bytes(first), test::read_file_bytes(second));

  const auto file = gguf::GgufFile::open(first);
  EXPECT_EQ(file->get_string("general.architecture"), "qwen2");
  EXPECT_EQ(file->get_uint("qwen2.embedding_length"), 128u);
  EXPECT_EQ(file->get_uint("qwen2.block_count"), 3u);
  EXPECT_EQ(file->get_uint("qwen2.attention.head_count_kv"), 2u);
  EXPECT_EQ(file->get_string_array("tokenizer.ggml.tokens")->size(), 300u);
  ASSERT_NE(file->find_tensor("blk.2.attn_v.bias"), nullptr);
  EXPECT_EQ(file->find_tensor("blk.2.ffn_down.weight")->shape, (std::vector<uint64_t>{256, 128}));
  EXPECT_EQ(file->find_tensor("output.weight"), nullptr) << "embeddings are tied";
  std::filesystem::remove(first);
  std::filesystem::remove(second);
}

TEST(MkmodelCommand, ExplainsBadRequests) {
  const std::string out = temp_path("bad.gguf");
  auto result = run_weft({"mkmodel", "--shape", "gpt-9", out});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("smollm2-135m"), std::string::npos) << result.err;
  result = run_weft({"mkmodel", "--shape", "smollm2-135m", "--type", "q9", out});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("q4_k_m"), std::string::npos) << result.err;
  result = run_weft({"mkmodel", "--dim", "100", "--layers", "1", "--heads", "5", "--ffn", "64",
                     "--vocab", "300", out});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--dim"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace weft
