// The progress a model load reports (ModelLoadOptions::progress): its steps in order and,
// where this CPU repacks weights, the rows packed of the rows to pack, counted here from the
// file's tensor table.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "model/model.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "tensor/x86/packed_weights.hpp"

namespace weft::model {
namespace {

struct SeenProgress {
  std::string step;
  uint64_t done = 0;
  uint64_t total = 0;
};

// The rows of the matrices the packer works on, read from the tensor table: the layers'
// projections and the output (the token embedding when the output is tied), where their type
// has packed products on this CPU.
uint64_t rows_to_pack(const gguf::GgufFile& file) {
  const std::regex projection(
      R"(blk\.\d+\.(attn_q|attn_k|attn_v|attn_output|ffn_gate|ffn_up|ffn_down)\.weight)");
  bool untied = false;
  for (const auto& tensor : file.tensors()) untied = untied || tensor.name == "output.weight";
  uint64_t rows = 0;
  for (const auto& tensor : file.tensors()) {
    const bool output = tensor.name == (untied ? "output.weight" : "token_embd.weight");
    if ((output || std::regex_match(tensor.name, projection)) &&
        tensor::packed_products_available(tensor.type))
      rows += tensor.rows();
  }
  return rows;
}

TEST(LoadProgress, StepsComeInOrderAndPackingCountsEveryRow) {
  synthetic::SyntheticOptions options;
  options.shape = synthetic::custom_shape("llama");
  options.shape.embedding = 256;
  options.shape.layers = 2;
  options.shape.heads = 4;
  options.shape.kv_heads = 2;
  options.shape.feed_forward = 512;
  options.shape.vocab = 512;
  options.shape.context = 256;
  options.recipe = *synthetic::parse_type_recipe("q8_0");
  options.threads = 1;
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("weft_load_progress_" + std::to_string(getpid()) + ".gguf"))
                               .string();
  synthetic::SyntheticModel::generate(options).write(path);

  std::vector<SeenProgress> seen;
  ModelLoadOptions load;
  load.progress = [&](const LoadProgress& progress) {
    seen.push_back({std::string(progress.step), progress.done, progress.total});
  };
  auto model = Model::load(path, load);
  const uint64_t expected_rows = rows_to_pack(model->file());
  std::filesystem::remove(path);

  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[0].step, "mapping the file");
  EXPECT_EQ(seen[1].step, "reading the weights");
  std::vector<SeenProgress> packing(seen.begin() + 2, seen.end());
  if (expected_rows == 0) {
    EXPECT_TRUE(packing.empty()) << "this CPU packs no Q8_0 weights, yet packing was reported";
    return;
  }
  ASSERT_FALSE(packing.empty());
  uint64_t previous = 0;
  for (const auto& step : packing) {
    EXPECT_EQ(step.step, "packing weights");
    EXPECT_EQ(step.total, expected_rows);
    EXPECT_GE(step.done, previous);
    previous = step.done;
  }
  EXPECT_EQ(packing.front().done, 0u);
  EXPECT_EQ(packing.back().done, expected_rows);
}

}  // namespace
}  // namespace weft::model
