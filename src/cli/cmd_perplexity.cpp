// `weft perplexity`: the perplexity of a model on a text file, chunked and scored as
// llama.cpp's llama-perplexity does, so the two programs' figures can be compared.
#include <cstdio>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/kv_type_option.hpp"
#include "cli/number_checks.hpp"
#include "gguf/gguf_file.hpp"
#include "kv/kv_type_name.hpp"
#include "model/model.hpp"
#include "runtime/perplexity.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

struct PerplexityCommandOptions {
  std::string model;
  std::string text_file;
  int64_t context = 512;
  int64_t batch = 2048;
  std::optional<int64_t> chunks;
  unsigned threads = 0;
  std::string kv_type = "f16";
  std::string kernels = "fast";
};

// The file as llama-perplexity reads `-f`: all of it, less one final newline.
std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw Error("failed reading '" + path + "'");
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

int run_perplexity(const PerplexityCommandOptions& options) {
  const std::string text = read_text(options.text_file);
  auto model = model::Model::load(options.model, {.context_length = options.context});
  const auto tokenizer = tokenizer::Tokenizer::from_gguf(model->file());
  if (tokenizer->add_eos_by_default()) {
    throw Error(options.model +
                ": the vocabulary appends EOS to every text; perplexity is not defined for it "
                "(as in llama-perplexity)");
  }
  const bool add_bos = tokenizer->add_bos_by_default() && tokenizer->bos().has_value();
  const auto tokens = tokenizer->encode(text, {.add_bos = add_bos});

  runtime::PerplexityOptions perplexity;
  perplexity.context = options.context;
  perplexity.batch = options.batch;
  perplexity.max_chunks = options.chunks;
  if (add_bos) perplexity.bos = tokenizer->bos();
  const int64_t per_pass = std::max<int64_t>(1, options.batch / options.context);
  runtime::EngineOptions engine_options;
  engine_options.threads = options.threads;
  engine_options.kv_type = kv::kv_type_from_name(options.kv_type);
  engine_options.kernels = *tensor::parse_kernel_choice(options.kernels);
  engine_options.kv_pages =
      per_pass * ((options.context + engine_options.page_tokens - 1) / engine_options.page_tokens);
  runtime::Engine engine(model, engine_options);

  const int64_t available = static_cast<int64_t>(tokens.size()) / options.context;
  if (available >= 2) {
    std::fprintf(stderr,
                 "perplexity: %zu tokens, %lld chunks of %lld (BOS %s), scoring %lld a chunk\n",
                 tokens.size(),
                 static_cast<long long>(std::min(available, options.chunks.value_or(available))),
                 static_cast<long long>(options.context), add_bos ? "first" : "not added",
                 static_cast<long long>(options.context - 1 - options.context / 2));
  }
  const auto result = runtime::compute_perplexity(
      engine, tokens, perplexity, [](const runtime::PerplexityChunk& chunk) {
        std::printf("[%lld]%.4f,", static_cast<long long>(chunk.index + 1), chunk.running_ppl);
        std::fflush(stdout);
      });
  std::printf("\nFinal estimate: PPL = %.4f +/- %.5f\n", result.ppl, result.error);
  return 0;
}

}  // namespace

Command add_perplexity_command(CLI::App& app) {
  auto options = std::make_shared<PerplexityCommandOptions>();
  auto* sub = app.add_subcommand(
      "perplexity",
      "Perplexity of a model on a text file, computed as llama-perplexity does (chunks of "
      "--ctx tokens, BOS first, the second half of each chunk scored)");
  sub->add_option("model", options->model, "GGUF model file")->required();
  sub->add_option("file", options->text_file, "Text file (UTF-8)")->required();
  sub->add_option("-c,--ctx", options->context, "Tokens a chunk (n_ctx; default 512)")
      ->check(whole_number_at_least(4));
  sub->add_option("-b,--batch", options->batch,
                  "Tokens a forward pass: below --ctx splits a chunk, a multiple of it evaluates "
                  "several chunks at once (default 2048)")
      ->check(whole_number_at_least(1));
  sub->add_option("--chunks", options->chunks, "Score at most N chunks (default: all)")
      ->check(whole_number_at_least(1));
  sub->add_option("-t,--threads", options->threads, "Threads (0 = hardware concurrency)");
  add_kv_type_option(*sub, options->kv_type);
  sub->add_option("--kernels", options->kernels,
                  "Kernels: fast (default), reference, or rounded-activations")
      ->check(CLI::IsMember({"fast", "reference", "rounded-activations"}));
  return {sub, [options] { return run_perplexity(*options); }};
}

}  // namespace weft::cli
