// `weft mkmodel` end to end: the command writes a file the reader accepts with the requested
// sizes, the same bytes for the same seed, and clear errors for bad requests.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <sstream>

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

// qwen3moe: the router and the 3-D expert tensors in llama.cpp's layout (row length first,
// the expert last), the expert keys from the flags, and the router kept F32 in a Q8_0 file.
TEST(MkmodelCommand, WritesStackedExpertsForQwen3Moe) {
  const std::string out = temp_path("moe.gguf");
  const auto result = run_weft(
      {"mkmodel", "--arch",       "qwen3moe", "--dim",   "128",  "--layers",  "1", "--heads",
       "4",       "--ffn",        "256",      "--vocab", "300",  "--experts", "4", "--experts-used",
       "2",       "--expert-ffn", "64",       "--type",  "q8_0", "-t",        "2", out});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto file = gguf::GgufFile::open(out);
  EXPECT_EQ(file->get_uint("qwen3moe.expert_count"), 4u);
  EXPECT_EQ(file->get_uint("qwen3moe.expert_used_count"), 2u);
  EXPECT_EQ(file->get_uint("qwen3moe.expert_feed_forward_length"), 64u);
  const auto* router = file->find_tensor("blk.0.ffn_gate_inp.weight");
  ASSERT_NE(router, nullptr);
  EXPECT_EQ(router->shape, (std::vector<uint64_t>{128, 4}));
  EXPECT_EQ(router->type, tensor::ElementType::F32);
  for (const char* role : {"ffn_gate_exps", "ffn_up_exps"}) {
    const auto* experts = file->find_tensor(std::string("blk.0.") + role + ".weight");
    ASSERT_NE(experts, nullptr) << role;
    EXPECT_EQ(experts->shape, (std::vector<uint64_t>{128, 64, 4})) << role;
    EXPECT_EQ(experts->type, tensor::ElementType::Q8_0) << role;
  }
  EXPECT_EQ(file->find_tensor("blk.0.ffn_down_exps.weight")->shape,
            (std::vector<uint64_t>{64, 128, 4}));
  EXPECT_EQ(file->find_tensor("blk.0.ffn_gate.weight"), nullptr);
  std::filesystem::remove(out);

  const auto refused =
      run_weft({"mkmodel", "--arch", "llama", "--dim", "128", "--layers", "1", "--heads", "4",
                "--ffn", "256", "--vocab", "300", "--experts", "4", out});
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("llama has no experts"), std::string::npos) << refused.err;
}

std::vector<int32_t> parse_ids(const std::string& line) {
  std::vector<int32_t> ids;
  std::istringstream in(line);
  for (int32_t id = 0; in >> id;) ids.push_back(id);
  return ids;
}

size_t longest_run(const std::vector<int32_t>& ids) {
  size_t longest = 0;
  size_t run = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    run = i > 0 && ids[i] == ids[i - 1] ? run + 1 : 1;
    longest = std::max(longest, run);
  }
  return longest;
}

// The audit's case: a narrow, shallow model with SmolLM2's 49 152-token vocabulary (from its
// tokenizer.json) used to repeat one token 20 times in a row (seed 6, prompt "1"). Every
// architecture's file loads in `weft eval` and continues varied.
TEST(MkmodelCommand, SmallShapesWithALargeVocabularyGenerateVariedTokens) {
  const auto tokenizer = test::shared_path("models/smollm2-tokenizer/tokenizer.json").string();
  for (const std::string arch : {"llama", "qwen2", "qwen3", "phi3", "gemma2", "gemma3"}) {
    SCOPED_TRACE(arch);
    const std::string out = temp_path(arch + ".gguf");
    const auto made =
        run_weft({"mkmodel", "--arch", arch, "--dim", "128", "--layers", "2", "--heads", "4",
                  "--ffn", "256", "--tokenizer", tokenizer, "--seed", "6", "-t", "2", out});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    EXPECT_NE(made.out.find("vocab 49152"), std::string::npos) << made.out;
    const auto greedy = run_weft({"eval", out, "--tokens", "1", "--greedy", "32", "-t", "2"});
    std::filesystem::remove(out);
    ASSERT_EQ(greedy.exit_code, 0) << greedy.err;
    const auto ids = parse_ids(greedy.out);
    ASSERT_EQ(ids.size(), 32u) << greedy.out;
    EXPECT_GE(std::set<int32_t>(ids.begin(), ids.end()).size(), 16u) << greedy.out;
    EXPECT_LE(longest_run(ids), 4u) << greedy.out;
  }
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
  result = run_weft({"mkmodel", "--arch", "mamba", "--dim", "128", "--layers", "1", "--heads", "4",
                     "--ffn", "256", "--vocab", "300", out});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("architecture 'mamba' is not supported (llama, qwen2, qwen3, phi3, "
                            "gemma2, gemma3, qwen3moe, gpt-oss, bert, nomic-bert)"),
            std::string::npos)
      << result.err;
  result = run_weft({"mkmodel", "--arch", "llama", "--dim", "128", "--layers", "1", "--heads", "4",
                     "--ffn", "256", "--vocab", "300", "--window", "16", out});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("llama has no sliding window (--window)"), std::string::npos)
      << result.err;
  result = run_weft({"mkmodel", "--arch", "phi3", "--dim", "128", "--layers", "1", "--heads", "4",
                     "--head-dim", "48", "--ffn", "256", "--vocab", "300", out});
  EXPECT_NE(result.exit_code, 0);
  EXPECT_NE(result.err.find("--head-dim"), std::string::npos) << result.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

}  // namespace
}  // namespace weft
