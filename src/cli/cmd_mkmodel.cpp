#include <chrono>
#include <cstdio>
#include <optional>

#include "cli/commands.hpp"
#include "gguf/gguf_file.hpp"
#include "model/synthetic/synthetic_model.hpp"
#include "tokenizer/hf_import.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

namespace synthetic = model::synthetic;

struct MkmodelOptions {
  std::string shape;
  std::string type = "q4_k_m";
  uint64_t seed = 1;
  std::string tokenizer;
  std::string output;
  unsigned threads = 0;
  std::string architecture;
  std::optional<uint32_t> dim, layers, heads, kv_heads, head_dim, ffn, vocab, context, window;
  std::optional<uint32_t> experts, experts_used, expert_ffn;
  bool untied = false;
  std::string pooling;  // encoders: mean or cls
};

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text;
}

synthetic::ModelShape resolve_shape(const MkmodelOptions& options) {
  synthetic::ModelShape shape;
  if (!options.shape.empty()) {
    auto named = synthetic::named_shape(options.shape);
    if (!named) {
      throw Error(ErrorCode::invalid_request, "unknown shape '" + options.shape + "' (known: " +
                                                  joined(synthetic::named_shape_names()) + ")");
    }
    shape = *named;
    if (!options.architecture.empty() && options.architecture != shape.architecture) {
      throw Error(ErrorCode::invalid_request,
                  "--arch cannot change the architecture of shape " + shape.name);
    }
  } else {
    // With --tokenizer the vocabulary size is its token count.
    const bool vocab_known = options.vocab || !options.tokenizer.empty();
    if (!options.dim || !options.layers || !options.heads || !options.ffn || !vocab_known) {
      throw Error(ErrorCode::invalid_request,
                  "give --shape NAME, or explicit sizes: --dim --layers --heads --ffn --vocab "
                  "(--vocab not needed with --tokenizer; --kv-heads defaults to --heads, --arch "
                  "to llama)");
    }
    shape = synthetic::custom_shape(options.architecture.empty() ? "llama" : options.architecture);
  }
  // Explicit sizes override the named shape's.
  if (options.dim) shape.embedding = *options.dim;
  if (options.layers) shape.layers = *options.layers;
  if (options.heads) shape.heads = *options.heads;
  if (options.head_dim) shape.head_size = *options.head_dim;
  shape.kv_heads =
      options.kv_heads ? *options.kv_heads : (shape.kv_heads ? shape.kv_heads : shape.heads);
  if (options.ffn) shape.feed_forward = *options.ffn;
  if (options.vocab) shape.vocab = *options.vocab;
  if (options.context) shape.context = *options.context;
  if (options.window) shape.sliding_window = *options.window;
  if (options.untied) shape.tied_embeddings = false;
  if (options.experts) shape.experts = *options.experts;
  if (options.experts_used) shape.experts_used = *options.experts_used;
  if (options.expert_ffn) shape.expert_feed_forward = *options.expert_ffn;
  if (options.pooling == "cls") {
    shape.pooling = 2;
  } else if (!options.pooling.empty() && options.pooling != "mean") {
    throw Error(ErrorCode::invalid_request,
                "unknown --pooling '" + options.pooling + "' (known: mean, cls)");
  } else if (!options.pooling.empty() && !shape.encoder) {
    throw Error(ErrorCode::invalid_request, shape.architecture + " is not an embedding model");
  }
  return shape;
}

// tokenizer.* metadata from a GGUF, or imported from a Hugging Face tokenizer.json (with
// config.json beside it when present).
std::vector<gguf::MetadataEntry> load_tokenizer(const std::string& path) {
  if (path.empty()) return {};
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0) {
    return tokenizer::hf_tokenizer_metadata_from_file(path);
  }
  return synthetic::tokenizer_metadata_of(*gguf::GgufFile::open(path));
}

int make_model(const MkmodelOptions& options) {
  synthetic::SyntheticOptions settings;
  settings.shape = resolve_shape(options);
  auto recipe = synthetic::parse_type_recipe(options.type);
  if (!recipe) {
    throw Error(ErrorCode::invalid_request, "unknown --type '" + options.type + "' (known: " +
                                                joined(synthetic::type_recipe_names()) + ")");
  }
  settings.recipe = *recipe;
  settings.seed = options.seed;
  settings.threads = options.threads;
  settings.tokenizer = load_tokenizer(options.tokenizer);

  const auto start = std::chrono::steady_clock::now();
  const auto model = synthetic::SyntheticModel::generate(settings);
  const double generate_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  model.write(options.output);
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& shape = model.shape();
  std::printf(
      "%s: %s %s, %s, %u layers, dim %u, %u heads (%u kv), ffn %u, vocab %u, %.1fM "
      "parameters; generated in %.1f s, written in %.1f s\n",
      options.output.c_str(), shape.architecture.c_str(), shape.name.c_str(), recipe->name.c_str(),
      shape.layers, shape.embedding, shape.heads, shape.kv_heads, shape.feed_forward, shape.vocab,
      static_cast<double>(model.parameter_count()) / 1e6, generate_seconds,
      total_seconds - generate_seconds);
  return 0;
}

}  // namespace

Command add_mkmodel_command(CLI::App& app) {
  auto options = std::make_shared<MkmodelOptions>();
  auto* sub = app.add_subcommand(
      "mkmodel", "Write a deterministic random-weight GGUF model of a named or explicit shape");
  sub->add_option("output", options->output, "GGUF file to write")->required();
  sub->add_option("--shape", options->shape,
                  "Named shape: " + joined(synthetic::named_shape_names()));
  sub->add_option("--type", options->type,
                  "Tensor types: " + joined(synthetic::type_recipe_names()) + " (default q4_k_m)");
  sub->add_option("--seed", options->seed, "Seed of the weights (default 1)");
  sub->add_option(
      "--tokenizer", options->tokenizer,
      "GGUF whose tokenizer.* keys to copy, or a Hugging Face tokenizer.json (default: a "
      "generated placeholder vocabulary)");
  sub->add_option("--arch", options->architecture,
                  "Architecture of explicit sizes: " +
                      joined(synthetic::synthetic_architectures()) + " (default llama)");
  sub->add_option("--dim", options->dim, "Hidden size");
  sub->add_option("--layers", options->layers, "Number of layers");
  sub->add_option("--heads", options->heads, "Attention heads");
  sub->add_option("--kv-heads", options->kv_heads, "Key/value heads (default: --heads)");
  sub->add_option("--head-dim", options->head_dim,
                  "Size of each attention head: key/value length (default: --dim / --heads)");
  sub->add_option("--ffn", options->ffn, "Feed-forward size");
  sub->add_option("--vocab", options->vocab, "Vocabulary size");
  sub->add_option("--ctx", options->context, "context_length to record");
  sub->add_option("--window", options->window,
                  "attention.sliding_window to record (gemma2, gemma3, gpt-oss; 0: none)");
  sub->add_flag("--untied", options->untied, "Write a separate output.weight");
  sub->add_option("--experts", options->experts,
                  "Experts per layer (architectures with experts: qwen3moe, default 128; gpt-oss, "
                  "default 32)");
  sub->add_option("--experts-used", options->experts_used,
                  "Experts run per token (default 8; gpt-oss: 4)");
  sub->add_option("--expert-ffn", options->expert_ffn,
                  "Feed-forward size of each expert (default: --ffn)");
  sub->add_option("--pooling", options->pooling,
                  "pooling_type to record (encoders: bert, nomic-bert): mean (default) or cls");
  sub->add_option("-t,--threads", options->threads, "Threads (0 = all hardware threads)");
  return {sub, [options] { return make_model(*options); }};
}

}  // namespace weft::cli
