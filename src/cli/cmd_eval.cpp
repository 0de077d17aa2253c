// `weft eval`: logits of a token sequence evaluated in one batch, in the layout of the
// reference files, and optionally a greedy continuation.
#include <bit>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/number_checks.hpp"
#include "model/model.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct EvalOptions {
  std::string model;
  std::string tokens;
  std::string logits_out;
  std::string greedy_logits_out;
  bool last_logits_only = false;
  std::optional<int64_t> context_length;
  unsigned threads = 0;
  int64_t greedy = 0;
  std::string kv_type = "f16";
  std::string kernels = "fast";
};

std::vector<int32_t> parse_token_ids(const std::string& text) {
  std::vector<int32_t> ids;
  size_t pos = 0;
  while (pos < text.size()) {
    if (text[pos] == ' ' || text[pos] == ',' || text[pos] == '\t' || text[pos] == '\n') {
      ++pos;
      continue;
    }
    int32_t id = 0;
    auto [end, error] = std::from_chars(text.data() + pos, text.data() + text.size(), id);
    if (error != std::errc() || id < 0) {
      throw Error("--tokens: expected a non-negative token id at character " +
                  std::to_string(pos + 1));
    }
    ids.push_back(id);
    pos = static_cast<size_t>(end - text.data());
  }
  if (ids.empty()) throw Error("--tokens: no token ids given");
  return ids;
}

void write_float32_le(const std::string& path, const std::vector<float>& values) {
  std::ofstream out(path, std::ios::binary);
  if (!out) throw Error("cannot open '" + path + "' for writing");
  for (float value : values) {
    auto bits = std::bit_cast<uint32_t>(value);
    if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap32(bits);
    out.write(reinterpret_cast<const char*>(&bits), sizeof bits);
  }
  if (!out) throw Error("failed writing '" + path + "'");
}

tensor::ElementType parse_kv_type(const std::string& name) {
  if (name == "f16") return tensor::ElementType::F16;
  if (name == "f32") return tensor::ElementType::F32;
  throw Error("--kv-type must be f16 or f32, not '" + name + "'");
}

int evaluate(const EvalOptions& options) {
  const auto ids = parse_token_ids(options.tokens);
  auto model = model::Model::load(options.model, {.context_length = options.context_length});
  runtime::EngineOptions engine_options;
  engine_options.threads = options.threads;
  engine_options.kv_type = parse_kv_type(options.kv_type);
  engine_options.kernels = *tensor::parse_kernel_choice(options.kernels);
  runtime::Engine engine(model, engine_options);
  auto sequence = engine.new_sequence();
  const auto result =
      runtime::evaluate_prompt(engine, sequence, ids, options.greedy, !options.last_logits_only);
  if (!options.logits_out.empty()) write_float32_le(options.logits_out, result.prompt_logits);
  if (!options.greedy_logits_out.empty())
    write_float32_le(options.greedy_logits_out, result.greedy_logits);
  if (options.greedy > 0) {
    std::string line;
    for (size_t i = 0; i < result.greedy.size(); ++i) {
      if (i > 0) line += ' ';
      line += std::to_string(result.greedy[i]);
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto options = std::make_shared<EvalOptions>();
  auto* sub = app.add_subcommand(
      "eval", "Evaluate token ids in one batch; write the logits of every position");
  sub->add_option("model", options->model, "GGUF model file")->required();
  sub->add_option("--tokens", options->tokens, "Token ids, space-separated (e.g. \"1 403 407\")")
      ->required();
  sub->add_option("--logits-out", options->logits_out,
                  "Write n_tokens × n_vocab logits here as raw little-endian float32, row-major");
  sub->add_option("--greedy-logits-out", options->greedy_logits_out,
                  "Write the logits each greedy token was picked from here (float32, row-major)");
  sub->add_flag("--last-logits-only", options->last_logits_only,
                "Compute logits for the last token only, as llama-cli does (--logits-out then "
                "holds that row)");
  sub->add_option("-c,--ctx", options->context_length, "Context length override");
  sub->add_option("-t,--threads", options->threads, "Threads (0 = hardware concurrency)");
  sub->add_option("--greedy", options->greedy, "Then print N greedy continuation ids on one line")
      ->check(whole_number_at_least(0));
  sub->add_option("--kv-type", options->kv_type, "KV cache element type: f16 (default) or f32");
  sub->add_option(
         "--kernels", options->kernels,
         "Kernels: fast (default), reference, or rounded-activations (rounds activations as "
         "llama.cpp's CPU backend does, to reproduce its numbers)")
      ->check(CLI::IsMember({"fast", "reference", "rounded-activations"}));
  return {sub, [options] { return evaluate(*options); }};
}

}  // namespace weft::cli
