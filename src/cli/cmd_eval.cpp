// `weft eval`: logits of a token sequence evaluated in one batch, in the layout of the
// reference files, probes of its rows (top log-probabilities, log-probabilities of given
// tokens, entropy) as JSON lines, and optionally a greedy continuation.
#include <bit>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/kv_type_option.hpp"
#include "cli/number_checks.hpp"
#include "kv/kv_type_name.hpp"
#include "model/model.hpp"
#include "runtime/probes.hpp"
#include "runtime/prompt_evaluation.hpp"
#include "store/model_resolver.hpp"
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
  uint32_t top_logprobs = 0;
  std::optional<std::string> logprob_tokens;
  bool entropy = false;
  std::optional<std::string> probe_rows;
};

std::vector<int32_t> parse_token_ids(const std::string& text, const std::string& option) {
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
      throw Error(option + ": expected a non-negative token id at character " +
                  std::to_string(pos + 1));
    }
    ids.push_back(id);
    pos = static_cast<size_t>(end - text.data());
  }
  if (ids.empty()) throw Error(option + ": no token ids given");
  return ids;
}

struct ProbePlan {
  runtime::ProbeRequest request;
  bool every_row = true;  // otherwise the last prompt row only
};

// The probes the options ask for; nullopt when none.
std::optional<ProbePlan> probe_plan(const EvalOptions& options) {
  ProbePlan plan;
  plan.request.top_k = options.top_logprobs;
  plan.request.entropy = options.entropy;
  if (options.logprob_tokens)
    plan.request.token_ids = parse_token_ids(*options.logprob_tokens, "--logprobs");
  if (plan.request.empty()) {
    if (options.probe_rows)
      throw Error("--probe-rows needs a probe: --top-logprobs, --logprobs or --entropy");
    return std::nullopt;
  }
  plan.every_row = options.probe_rows.value_or(options.last_logits_only ? "last" : "all") == "all";
  if (plan.every_row && options.last_logits_only) {
    throw Error(
        "--probe-rows all needs every row's logits: drop --last-logits-only or probe the last "
        "row");
  }
  return plan;
}

// One JSON line per probed row: the row (its index and token; its logits predict the next
// position) and the answers asked for.
void print_probes(const ProbePlan& plan, std::span<const int32_t> ids,
                  const runtime::PromptEvaluation& evaluation) {
  const auto n_vocab = static_cast<size_t>(evaluation.n_vocab);
  const size_t n_logit_rows = evaluation.prompt_logits.size() / n_vocab;
  const size_t first_row = plan.every_row ? 0 : ids.size() - 1;
  for (size_t row = first_row; row < ids.size(); ++row) {
    // prompt_logits holds every row, or the last one alone (--last-logits-only).
    const size_t logits_index = n_logit_rows == ids.size() ? row : 0;
    const std::span<const float> logits(evaluation.prompt_logits.data() + logits_index * n_vocab,
                                        n_vocab);
    const auto result = runtime::run_probes(plan.request, logits);
    nlohmann::ordered_json line;
    line["row"] = row;
    line["token"] = ids[row];
    if (plan.request.top_k > 0) {
      auto& top = line["top_logprobs"] = nlohmann::ordered_json::array();
      for (const auto& entry : result.top)
        top.push_back({{"id", entry.id}, {"logprob", entry.logprob}});
    }
    if (!plan.request.token_ids.empty()) {
      auto& logprobs = line["logprobs"] = nlohmann::ordered_json::object();
      for (size_t i = 0; i < plan.request.token_ids.size(); ++i)
        logprobs[std::to_string(plan.request.token_ids[i])] = result.token_logprobs[i];
    }
    if (result.entropy) line["entropy"] = *result.entropy;
    std::printf("%s\n", line.dump().c_str());
  }
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

int evaluate(const EvalOptions& options) {
  const auto ids = parse_token_ids(options.tokens, "--tokens");
  const auto probes = probe_plan(options);
  auto model = model::Model::load(store::resolve_model_path(options.model),
                                  {.context_length = options.context_length});
  if (probes) {
    const int64_t n_vocab = model->config().n_vocab;
    for (int32_t id : probes->request.token_ids) {
      if (id >= n_vocab) {
        throw Error("--logprobs: token id " + std::to_string(id) +
                    " is outside the vocabulary (0.." + std::to_string(n_vocab - 1) + ")");
      }
    }
  }
  runtime::EngineOptions engine_options;
  engine_options.threads = options.threads;
  engine_options.kv_type = kv::kv_type_from_name(options.kv_type);
  engine_options.kernels = *tensor::parse_kernel_choice(options.kernels);
  runtime::Engine engine(model, engine_options);
  auto sequence = engine.new_sequence();
  const auto result =
      runtime::evaluate_prompt(engine, sequence, ids, options.greedy, !options.last_logits_only);
  if (!options.logits_out.empty()) write_float32_le(options.logits_out, result.prompt_logits);
  if (!options.greedy_logits_out.empty())
    write_float32_le(options.greedy_logits_out, result.greedy_logits);
  if (probes) print_probes(*probes, ids, result);
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
  sub->add_option("model", options->model,
                  "GGUF file, store name or a name to pull (docs/models.md)")
      ->required();
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
  add_kv_type_option(*sub, options->kv_type);
  sub->add_option(
         "--kernels", options->kernels,
         "Kernels: fast (default), reference, or rounded-activations (rounds activations as "
         "llama.cpp's CPU backend does, to reproduce its numbers)")
      ->check(CLI::IsMember({"fast", "reference", "rounded-activations"}));
  sub->add_option("--top-logprobs", options->top_logprobs,
                  "Probe: print the N most likely next tokens of each probed row with their "
                  "log-probabilities (one JSON line per row)");
  sub->add_option("--logprobs", options->logprob_tokens,
                  "Probe: print the log-probabilities of these token ids (e.g. \"261 403\") as "
                  "the next token of each probed row");
  sub->add_flag("--entropy", options->entropy,
                "Probe: print the entropy (nats) of each probed row's next-token distribution");
  sub->add_option("--probe-rows", options->probe_rows,
                  "Rows to probe: all (default) or last (the default with --last-logits-only)")
      ->check(CLI::IsMember({"all", "last"}));
  return {sub, [options] { return evaluate(*options); }};
}

}  // namespace weft::cli
