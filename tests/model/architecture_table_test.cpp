// The architecture table (src/model/arch/): every row is reachable by its enum value and its
// GGUF name, documented, and its mkmodel layout loads back through its own reader and binder.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "gguf/gguf_file.hpp"
#include "model/arch/architecture.hpp"
#include "model/model.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "support/shared_files.hpp"

namespace weft::model {
namespace {

TEST(ArchitectureTable, EveryRowIsFoundByItsEnumValueAndItsGgufName) {
  std::set<std::string_view> names;
  for (const ArchitectureSpec* spec : all_architectures()) {
    SCOPED_TRACE(std::string(spec->gguf_name));
    EXPECT_EQ(&spec_of(spec->architecture), spec);
    EXPECT_EQ(find_architecture(spec->gguf_name), spec);
    EXPECT_EQ(parse_architecture(to_string(spec->architecture)), spec->architecture);
    EXPECT_NE(spec->bind_layer, nullptr);
    EXPECT_FALSE(spec->differences.empty());
    EXPECT_TRUE(names.insert(spec->gguf_name).second) << "two rows share a GGUF name";
  }
  EXPECT_EQ(find_architecture("mamba"), nullptr);
  EXPECT_FALSE(parse_architecture("Llama"));
}

TEST(ArchitectureTable, SupportedListAndInspectLineComeFromTheTable) {
  // The order of the table rows (architecture_list.hpp), as docs/engine.md quotes it.
  EXPECT_EQ(supported_architectures(),
            "llama, qwen2, qwen3, phi3, gemma2, gemma3, qwen3moe, gpt-oss, bert, nomic-bert");
  EXPECT_EQ(synthetic::synthetic_architectures(),
            (std::vector<std::string>{"llama", "qwen2", "qwen3", "phi3", "gemma2", "gemma3",
                                      "qwen3moe", "gpt-oss", "bert", "nomic-bert"}));
  EXPECT_EQ(architecture_summary("mamba"),
            "mamba: not supported (supported: llama, qwen2, qwen3, phi3, gemma2, gemma3, "
            "qwen3moe, gpt-oss, bert, nomic-bert)");
  EXPECT_EQ(architecture_summary("qwen2"),
            "qwen2: runs natively (rope neox); attn_q/k/v.bias added after the projections "
            "(required)");
  EXPECT_EQ(architecture_summary("llama").rfind("llama: runs natively (rope normal); ", 0), 0u);
  EXPECT_EQ(architecture_summary("bert").rfind(
                "bert: runs natively (embeddings only, absolute positions); ", 0),
            0u);
  EXPECT_EQ(architecture_summary("nomic-bert")
                .rfind("nomic-bert: runs natively (embeddings only, rope neox); ", 0),
            0u);
}

// A row without its documentation is a row nobody can find: docs/engine.md's architecture
// table and docs/mkmodel.md's --arch table have a line for each.
TEST(ArchitectureTable, EveryRowIsDocumented) {
  const std::string engine = test::read_text_file(std::string(WEFT_SOURCE_DIR) + "/docs/engine.md");
  const std::string mkmodel =
      test::read_text_file(std::string(WEFT_SOURCE_DIR) + "/docs/mkmodel.md");
  for (const ArchitectureSpec* spec : all_architectures()) {
    const std::string row = "| `" + std::string(spec->gguf_name) + "`";
    EXPECT_NE(engine.find(row), std::string::npos) << spec->gguf_name << " in docs/engine.md";
    EXPECT_NE(mkmodel.find(row), std::string::npos) << spec->gguf_name << " in docs/mkmodel.md";
  }
}

// What mkmodel writes for each row loads through that row's reader and binder, with the
// row's hooks and layout.
TEST(ArchitectureTable, EachMkmodelLayoutLoadsWithItsHooks) {
  for (const ArchitectureSpec* spec : all_architectures()) {
    const std::string name(spec->gguf_name);
    SCOPED_TRACE(name);
    synthetic::SyntheticOptions options;
    options.shape = synthetic::custom_shape(name);
    options.shape.embedding = 128;
    options.shape.layers = 2;
    options.shape.heads = 4;
    options.shape.kv_heads = 2;
    options.shape.feed_forward = 256;
    options.shape.vocab = 512;
    options.recipe = *synthetic::parse_type_recipe("f32");
    options.threads = 1;
    const auto bytes = synthetic::SyntheticModel::generate(options).writer().to_bytes();
    const auto model = Model::from_file(gguf::GgufFile::from_buffer(bytes, name + ".gguf"));
    const ModelConfig& config = model->config();
    EXPECT_EQ(config.architecture, spec->architecture);
    EXPECT_EQ(config.rope_mode, spec->hooks.rope_mode);
    EXPECT_EQ(config.activation, spec->hooks.activation);
    EXPECT_EQ(model->weights().tied_output, spec->synthetic.tied_embeddings);
    const LayerWeights& layer = model->weights().layers.at(1);
    EXPECT_EQ(!layer.bq.empty(), spec->synthetic.qkv_bias);
    EXPECT_EQ(!layer.q_norm.empty(), spec->synthetic.qk_norm);
    // Encoders' LayerNorms after each block are bound as the post-norms.
    EXPECT_EQ(!layer.post_ffn_norm.empty(), spec->synthetic.post_norms || spec->synthetic.encoder);
    EXPECT_EQ(!layer.post_ffn_norm_bias.empty(), spec->synthetic.encoder);
    EXPECT_EQ(config.encoder, spec->hooks.encoder);
    EXPECT_EQ(!layer.router.empty(), spec->synthetic.experts);
    EXPECT_EQ(layer.gate.empty(), spec->synthetic.experts || !spec->synthetic.gated_feed_forward);
    EXPECT_EQ(config.n_expert, static_cast<int64_t>(spec->synthetic.expert_count));
    EXPECT_EQ(config.attention_softcap, spec->synthetic.attention_softcap);
    EXPECT_EQ(config.final_softcap, spec->synthetic.final_softcap);
    EXPECT_EQ(config.sliding_window, static_cast<int64_t>(spec->synthetic.sliding_window));
    // bert's biases include attn_output's (SyntheticLayout::gated_feed_forward says so).
    EXPECT_EQ(!layer.bo.empty(), spec->synthetic.attention_output_bias ||
                                     (spec->synthetic.encoder && spec->synthetic.qkv_bias));
    EXPECT_EQ(!layer.attention_sinks.empty(), spec->synthetic.attention_sinks);
    EXPECT_EQ(!layer.router_bias.empty(), spec->synthetic.expert_biases);
    EXPECT_EQ(config.rope_yarn_ramp.empty(), spec->synthetic.yarn_factor == 0);
  }
}

}  // namespace
}  // namespace weft::model
