// `weft bench`: prompt-processing and generation speed of a GGUF model on this machine,
// measured through the scheduler (so --parallel N is N streams sharing each model call).
// With -d N every measured request starts from the same N tokens already in the context
// (as llama-bench -d): they are computed once, untimed, and each request adopts their KV
// pages from the prefix cache (shared, not copied or recomputed). With --lookup every
// generation stream speculates by prompt lookup (its drafts in the same model calls), and
// --tg-prompt FILE gives the streams a text to start from (and to look drafts up in). With
// --draft MODEL the streams' drafts come from that model instead, in batched draft-model calls
// (runtime/scheduler.hpp), and the report counts those calls beside the target's.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/native_backend.hpp"
#include "cli/commands.hpp"
#include "cli/constraint_options.hpp"
#include "cli/kv_type_option.hpp"
#include "cli/number_checks.hpp"
#include "kv/kv_type_name.hpp"
#include "model/model.hpp"
#include "model/packed_weight_cache.hpp"
#include "runtime/engine.hpp"
#include "runtime/scheduler.hpp"
#include "store/model_resolver.hpp"
#include "weft/error.hpp"

namespace weft::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string model;
  uint32_t prompt_tokens = 512;
  uint32_t generated_tokens = 128;
  uint32_t depth = 0;  // -d: tokens already in the context when pp and tg are measured
  unsigned threads = 0;
  uint32_t reps = 3;
  uint32_t parallel = 1;
  uint32_t batch = 512;
  std::optional<uint32_t> context_length;
  bool prefix_cache = true;
  bool ttft_cached = false;  // --prefix-cached: time to first token, prompt cached or not
  bool json = false;
  std::string kv_type = "f16";
  uint32_t lookup = 0;  // --lookup[=N]: n-gram length (0: no speculation)
  uint32_t draft_tokens = 4;
  std::string draft_model;     // --draft: a draft model's GGUF file or store name
  std::string tg_prompt_file;  // --tg-prompt: the generation streams' prompt text
};

struct Spread {
  double mean = 0;
  double stddev = 0;  // sample standard deviation; 0 for one rep
};

Spread spread_of(const std::vector<double>& values) {
  Spread out;
  if (values.empty()) return out;
  for (double v : values) out.mean += v;
  out.mean /= static_cast<double>(values.size());
  if (values.size() > 1) {
    double sum = 0;
    for (double v : values) sum += (v - out.mean) * (v - out.mean);
    out.stddev = std::sqrt(sum / static_cast<double>(values.size() - 1));
  }
  return out;
}

// The prompt is random ids (fixed seed) other than end-of-generation tokens: speed does not
// depend on the text, and the same ids every run make runs comparable.
class Workload {
 public:
  explicit Workload(const tokenizer::Tokenizer& tokenizer) {
    for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
      if (tokenizer.is_end_of_generation(id)) {
        end_tokens_.push_back(id);
      } else {
        ordinary_.push_back(id);
      }
    }
    if (ordinary_.empty()) throw Error("the vocabulary has only end-of-generation tokens");
  }

  std::vector<int32_t> prompt(uint32_t length, uint64_t seed) const {
    std::mt19937_64 random(seed);
    std::vector<int32_t> ids(length);
    for (auto& id : ids) id = ordinary_[random() % ordinary_.size()];
    return ids;
  }

  // The depth's tokens (the same every time), then a fresh `length`-token prompt.
  std::vector<int32_t> prompt_after(const std::vector<int32_t>& depth, uint32_t length,
                                    uint64_t seed) const {
    std::vector<int32_t> ids = depth;
    const auto tail = prompt(length, seed);
    ids.insert(ids.end(), tail.begin(), tail.end());
    return ids;
  }

  // Greedy, and the end-of-generation tokens suppressed, so every stream makes exactly
  // `tokens` tokens.
  runtime::SchedulerRequest request(std::vector<int32_t> prompt, uint32_t tokens) const {
    runtime::SchedulerRequest request;
    request.prompt = std::move(prompt);
    request.options.max_tokens = tokens;
    request.options.temperature = 0.0f;
    request.suppressed_tokens = end_tokens_;
    return request;
  }

  // A generation stream's request: after the depth, one random token (so that no stream
  // reuses another's prompt pages) and the --tg-prompt text when given; speculating when asked.
  runtime::SchedulerRequest generation_request(const std::vector<int32_t>& depth, uint32_t tokens,
                                               uint64_t seed) const {
    auto prompt = prompt_after(depth, 1, seed);
    prompt.insert(prompt.end(), text_prompt_.begin(), text_prompt_.end());
    auto generation = request(std::move(prompt), tokens);
    generation.speculation = speculation_;
    return generation;
  }

  void set_generation(std::vector<int32_t> text_prompt, runtime::LookupSpeculation speculation) {
    text_prompt_ = std::move(text_prompt);
    speculation_ = speculation;
  }
  size_t generation_prompt_tokens() const { return 1 + text_prompt_.size(); }

 private:
  std::vector<int32_t> ordinary_;
  std::vector<int32_t> end_tokens_;
  std::vector<int32_t> text_prompt_;
  runtime::LookupSpeculation speculation_;
};

DoneEvent wait_done(GenerationStream& stream) {
  while (auto event = stream.next()) {
    if (auto* done = std::get_if<DoneEvent>(&*event)) return *done;
    if (auto* error = std::get_if<ErrorEvent>(&*event)) throw Error(error->code, error->message);
  }
  throw Error(ErrorCode::internal, "the generation ended without a terminal event");
}

// A measured request must have started from the filled depth, not recomputed part of it
// inside the timing (the prefix cache evicted its pages, say).
void require_depth_reused(const DoneEvent& done, const std::vector<int32_t>& depth) {
  if (done.usage.cached_prompt_tokens != depth.size()) {
    throw Error(ErrorCode::internal, "bench: a measured request reused " +
                                         std::to_string(done.usage.cached_prompt_tokens) +
                                         " of the " + std::to_string(depth.size()) +
                                         " depth tokens");
  }
}

// Computes the depth's tokens once, untimed; their full pages stay in the prefix cache.
void fill_depth(runtime::Scheduler& scheduler, const Workload& workload,
                const std::vector<int32_t>& depth) {
  if (depth.empty()) return;
  auto stream = scheduler.submit(workload.request(depth, 1));
  wait_done(stream);
}

// Prefill speed: one request with the whole prompt, timed by the generator from its first
// model call to its first sampled token.
double measure_prompt(runtime::Scheduler& scheduler, const Workload& workload,
                      const std::vector<int32_t>& depth, uint32_t tokens, uint64_t seed) {
  auto stream = scheduler.submit(workload.request(workload.prompt_after(depth, tokens, seed), 1));
  const auto done = wait_done(stream);
  require_depth_reused(done, depth);
  const double seconds = std::chrono::duration<double>(done.timings.prompt).count();
  return seconds > 0 ? tokens / seconds : 0;
}

// Time to first token of a fresh `tokens`-token prompt, then of the same prompt again (its
// full pages now in the prefix cache): from submitting the request to its first token.
struct FirstTokenTimes {
  double cold_ms = 0;
  double cached_ms = 0;
  uint32_t cached_tokens = 0;  // prompt tokens the second request reused
};

FirstTokenTimes measure_first_token(runtime::Scheduler& scheduler, const Workload& workload,
                                    uint32_t tokens, uint64_t seed) {
  const auto prompt = workload.prompt(tokens, seed);
  const auto milliseconds = [](std::chrono::nanoseconds d) {
    return std::chrono::duration<double, std::milli>(d).count();
  };
  FirstTokenTimes times;
  auto cold = scheduler.submit(workload.request(prompt, 1));
  times.cold_ms = milliseconds(wait_done(cold).timings.first_token);
  auto cached = scheduler.submit(workload.request(prompt, 1));
  const auto done = wait_done(cached);
  times.cached_ms = milliseconds(done.timings.first_token);
  times.cached_tokens = done.usage.cached_prompt_tokens;
  return times;
}

// Generation speed: `parallel` streams of one prompt token (or the --tg-prompt text) each,
// all submitted at once; aggregate tokens over the wall time until the last one is done (the
// prefill step is included).
double measure_generation(runtime::Scheduler& scheduler, const Workload& workload,
                          const std::vector<int32_t>& depth, uint32_t tokens, uint32_t parallel,
                          uint64_t seed) {
  std::vector<GenerationStream> streams;
  const auto start = Clock::now();
  for (uint32_t i = 0; i < parallel; ++i) {
    streams.push_back(scheduler.submit(workload.generation_request(depth, tokens, seed + i)));
  }
  uint64_t produced = 0;
  for (auto& stream : streams) {
    const auto done = wait_done(stream);
    require_depth_reused(done, depth);
    produced += done.usage.completion_tokens;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return seconds > 0 ? static_cast<double>(produced) / seconds : 0;
}

void check_depth_options(const BenchOptions& options, int64_t page_tokens) {
  if (options.depth == 0) return;
  if (!options.prefix_cache) {
    throw Error(
        "-d/--depth reuses the filled depth through the prefix cache: drop "
        "--no-prefix-cache");
  }
  if (options.ttft_cached) throw Error("--prefix-cached measures without a depth: drop -d");
  if (options.depth % page_tokens != 0) {
    throw Error("-d/--depth must be a multiple of the KV page size, " +
                std::to_string(page_tokens) + " tokens, not " + std::to_string(options.depth));
  }
}

// The --tg-prompt text as the model's tokens (it follows a token, so no BOS).
std::vector<int32_t> text_prompt(const BenchOptions& options,
                                 const tokenizer::Tokenizer& tokenizer) {
  if (options.tg_prompt_file.empty()) return {};
  const auto text = read_text_file_or_throw(options.tg_prompt_file, "--tg-prompt file");
  auto ids = tokenizer.encode(text);
  if (ids.empty()) throw Error("--tg-prompt: " + options.tg_prompt_file + " has no tokens");
  return ids;
}

// Speculation over the measured generations, from the scheduler's counters.
struct SpeculationFigures {
  uint64_t drafted = 0;
  uint64_t accepted = 0;
  uint64_t steps = 0;
  uint64_t draft_steps = 0;  // the draft model's calls
  double acceptance() const { return drafted ? static_cast<double>(accepted) / drafted : 0.0; }
};

int bench(const BenchOptions& options) {
  if (options.ttft_cached && options.prompt_tokens == 0) {
    throw Error("--prefix-cached needs a prompt: -p must be at least 1");
  }
  runtime::EngineOptions engine_options;
  engine_options.threads = options.threads;
  engine_options.kv_type = kv::kv_type_from_name(options.kv_type);
  check_depth_options(options, engine_options.page_tokens);
  model::ModelLoadOptions load;
  if (options.context_length) load.context_length = *options.context_length;
  load.packed_cache_directory = model::default_packed_cache_directory();
  auto model = model::Model::load(store::resolve_model_path(options.model), load);
  const auto& config = model->config();
  const int64_t longest =
      options.depth + std::max<int64_t>(options.prompt_tokens, options.generated_tokens) + 1;
  if (longest > config.context_length) {
    throw Error("-d/-p/-n need " + std::to_string(longest) +
                " positions (the depth, then the longer of the prompt and the generation, and "
                "one more) but the context length is " +
                std::to_string(config.context_length) + " (raise it with --ctx)");
  }
  std::shared_ptr<const tokenizer::Tokenizer> tokenizer =
      tokenizer::Tokenizer::from_gguf(model->file());
  Workload workload(*tokenizer);
  const auto info = backend::describe_model(*model, options.model);
  const bool speculating = options.lookup != 0 || !options.draft_model.empty();
  workload.set_generation(text_prompt(options, *tokenizer),
                          {.ngram = options.lookup,
                           .draft_tokens = options.draft_tokens,
                           .draft_model = !options.draft_model.empty()});
  if (options.depth + workload.generation_prompt_tokens() + options.generated_tokens >
      static_cast<size_t>(config.context_length)) {
    throw Error("-d, --tg-prompt and -n need more positions than the context length of " +
                std::to_string(config.context_length) + " (raise it with --ctx)");
  }

  const auto pages = [&](int64_t tokens) {
    return (tokens + engine_options.page_tokens - 1) / engine_options.page_tokens;
  };
  // The depth's pages are shared by every request; the rest is each request's own, and one
  // prompt's worth more lets the prefix cache keep the depth while it also holds the last
  // measured prompt's pages.
  engine_options.kv_pages =
      pages(options.depth) +
      std::max<int64_t>(
          pages(options.prompt_tokens + 1),
          options.parallel * pages(static_cast<int64_t>(workload.generation_prompt_tokens()) +
                                   options.generated_tokens)) +
      (options.depth > 0 ? pages(options.prompt_tokens) : 0);
  auto engine = std::make_unique<runtime::Engine>(model, engine_options);
  const unsigned threads = engine->threads().size();
  runtime::SchedulerOptions scheduler_options;
  scheduler_options.max_batch_tokens = std::max(options.batch, options.parallel);
  scheduler_options.prefill_chunk = options.batch;
  scheduler_options.max_sequences = std::max<uint32_t>(options.parallel, 1);
  scheduler_options.prefix_cache = options.prefix_cache;
  std::unique_ptr<runtime::Engine> draft_engine;
  if (!options.draft_model.empty()) {
    runtime::EngineOptions draft_options = engine_options;
    draft_options.kv_pages =
        backend::draft_pool_pages(engine_options.kv_pages, scheduler_options.max_sequences,
                                  options.draft_tokens, engine_options.page_tokens);
    draft_engine = backend::load_draft_engine(store::resolve_model_path(options.draft_model),
                                              options.model, *tokenizer, load, draft_options);
  }
  runtime::Scheduler scheduler(std::move(engine), tokenizer, scheduler_options,
                               std::move(draft_engine));

  const auto depth = workload.prompt(options.depth, 500);
  fill_depth(scheduler, workload, depth);
  // Warm-up: first touches of the weights and KV pages are not what is measured.
  measure_generation(scheduler, workload, depth, 2, 1, 0);
  std::vector<double> pp, tg, ttft, ttft_cached;
  uint32_t cached_tokens = 0;
  SpeculationFigures speculation;
  for (uint32_t rep = 0; rep < options.reps; ++rep) {
    if (options.ttft_cached) {
      const auto times =
          measure_first_token(scheduler, workload, options.prompt_tokens, 3000 + rep);
      ttft.push_back(times.cold_ms);
      ttft_cached.push_back(times.cached_ms);
      cached_tokens = times.cached_tokens;
    }
    if (options.prompt_tokens > 0) {
      pp.push_back(measure_prompt(scheduler, workload, depth, options.prompt_tokens, 1000 + rep));
    }
    if (options.generated_tokens > 0) {
      scheduler.sync();
      const auto before = scheduler.stats();
      tg.push_back(measure_generation(scheduler, workload, depth, options.generated_tokens,
                                      options.parallel, 2000 + 100 * rep));
      scheduler.sync();
      const auto after = scheduler.stats();
      speculation.drafted += after.drafted - before.drafted;
      speculation.accepted += after.accepted - before.accepted;
      speculation.steps += after.steps - before.steps;
      speculation.draft_steps += after.draft_steps - before.draft_steps;
    }
  }
  const auto pp_spread = spread_of(pp);
  const auto tg_spread = spread_of(tg);
  const auto ttft_spread = spread_of(ttft);
  const auto ttft_cached_spread = spread_of(ttft_cached);

  if (options.json) {
    nlohmann::ordered_json out;
    out["model"] = options.model;
    out["architecture"] = info.architecture;
    out["quantization"] = info.quantization;
    out["parameters"] = info.parameter_count;
    out["threads"] = threads;
    out["reps"] = options.reps;
    out["parallel"] = options.parallel;
    out["depth"] = options.depth;
    out["kv_type"] = options.kv_type;
    out["pp_tokens"] = options.prompt_tokens;
    out["pp_tps"] = pp_spread.mean;
    out["pp_tps_stddev"] = pp_spread.stddev;
    out["tg_tokens"] = options.generated_tokens;
    out["tg_tps"] = tg_spread.mean;
    out["tg_tps_stddev"] = tg_spread.stddev;
    out["prefix_cache"] = options.prefix_cache;
    out["tg_prompt_tokens"] = workload.generation_prompt_tokens();
    out["tg_model_calls"] = speculation.steps;
    if (!options.draft_model.empty()) {
      out["draft"] = options.draft_model;
      out["draft_model_calls"] = speculation.draft_steps;
    }
    if (speculating) {
      if (options.lookup != 0) out["lookup"] = options.lookup;
      out["draft_tokens"] = options.draft_tokens;
      out["drafted"] = speculation.drafted;
      out["accepted"] = speculation.accepted;
      out["acceptance"] = speculation.acceptance();
    }
    if (options.ttft_cached) {
      out["ttft_ms"] = ttft_spread.mean;
      out["ttft_ms_stddev"] = ttft_spread.stddev;
      out["ttft_cached_ms"] = ttft_cached_spread.mean;
      out["ttft_cached_ms_stddev"] = ttft_cached_spread.stddev;
      out["ttft_cached_tokens"] = cached_tokens;
    }
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("model: %s (%s, %s, %.1fM parameters)\n", options.model.c_str(),
              info.architecture.c_str(), info.quantization.c_str(),
              static_cast<double>(info.parameter_count) / 1e6);
  std::printf("threads: %u, reps: %u, parallel streams: %u, kv cache: %s\n", threads, options.reps,
              options.parallel, options.kv_type.c_str());
  // As llama-bench names a test at depth: pp512 @ d4096.
  const std::string at_depth =
      options.depth > 0 ? " @ d" + std::to_string(options.depth) : std::string();
  if (options.prompt_tokens > 0) {
    std::printf("pp%-5u%s %10.2f ± %.2f tokens/s\n", options.prompt_tokens, at_depth.c_str(),
                pp_spread.mean, pp_spread.stddev);
  }
  if (options.generated_tokens > 0) {
    std::printf("tg%-5u%s %10.2f ± %.2f tokens/s%s\n", options.generated_tokens, at_depth.c_str(),
                tg_spread.mean, tg_spread.stddev, options.parallel > 1 ? " (aggregate)" : "");
  }
  if (speculating && options.generated_tokens > 0) {
    const std::string source = options.lookup != 0 ? "lookup n=" + std::to_string(options.lookup)
                                                   : "draft " + options.draft_model;
    std::printf(
        "%s, %u drafts: %llu drafted, %llu accepted (%.1f%%), %llu model calls "
        "for %llu tokens\n",
        source.c_str(), options.draft_tokens, static_cast<unsigned long long>(speculation.drafted),
        static_cast<unsigned long long>(speculation.accepted), 100.0 * speculation.acceptance(),
        static_cast<unsigned long long>(speculation.steps),
        static_cast<unsigned long long>(options.reps) * options.parallel *
            options.generated_tokens);
    if (!options.draft_model.empty()) {
      std::printf("draft model calls: %llu\n",
                  static_cast<unsigned long long>(speculation.draft_steps));
    }
  }
  if (options.ttft_cached) {
    std::printf("ttft%-5u %8.1f ± %.1f ms, prompt cached (%u tokens reused): %.1f ± %.1f ms\n",
                options.prompt_tokens, ttft_spread.mean, ttft_spread.stddev, cached_tokens,
                ttft_cached_spread.mean, ttft_cached_spread.stddev);
  }
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto options = std::make_shared<BenchOptions>();
  auto* sub = app.add_subcommand(
      "bench", "Measure prompt-processing and generation tokens/s of a GGUF model");
  sub->add_option("model", options->model,
                  "GGUF file, store name or a name to pull (docs/models.md)")
      ->required();
  sub->add_option("-p,--prompt-tokens", options->prompt_tokens,
                  "Prompt tokens to process (0: skip)");
  sub->add_option("-n,--gen-tokens", options->generated_tokens,
                  "Tokens to generate per stream (0: skip)");
  sub->add_option("-d,--depth", options->depth,
                  "Tokens already in the context when pp and tg are measured (as llama-bench "
                  "-d; filled once, untimed, and shared by every measured request; a multiple "
                  "of 16)");
  sub->add_option("-t,--threads", options->threads, "Threads (0 = hardware concurrency)");
  add_kv_type_option(*sub, options->kv_type);
  sub->add_option("-r,--reps", options->reps, "Repetitions (mean ± standard deviation)")
      ->check(whole_number_at_least(1));
  sub->add_option("--parallel", options->parallel,
                  "Concurrent generation streams through the scheduler (aggregate tg tokens/s)")
      ->check(whole_number_at_least(1));
  sub->add_option("-b,--batch", options->batch, "Most tokens per model call (prefill chunk)")
      ->check(whole_number_at_least(1));
  sub->add_option("-c,--ctx", options->context_length, "Context length override");
  sub->add_flag("--prefix-cached", options->ttft_cached,
                "Also time the first token of a -p token prompt, fresh and then again with its "
                "pages in the prefix cache");
  sub->add_flag_callback(
      "--no-prefix-cache", [options] { options->prefix_cache = false; },
      "Do not reuse the KV pages of earlier prompts (the scheduler's prefix cache)");
  auto* lookup =
      sub->add_flag("--lookup{3}", options->lookup,
                    "Generation streams speculate by prompt lookup with N-grams (--lookup=N, "
                    "default 3): drafts verified in the same model calls; acceptance is reported")
          ->check(CLI::Range(2, 16))
          ->option_text("[=N]");
  sub->add_option("--draft", options->draft_model,
                  "Generation streams speculate with drafts from MODEL (GGUF file or store "
                  "name, the same vocabulary), its passes batched over the streams; acceptance "
                  "and the draft model's calls are reported")
      ->option_text("MODEL")
      ->excludes(lookup);
  sub->add_option("--draft-tokens", options->draft_tokens,
                  "With --lookup or --draft: most tokens drafted per decode (default 4)")
      ->check(CLI::Range(1, 64));
  sub->add_option("--tg-prompt", options->tg_prompt_file,
                  "Text file the generation streams start from (after -d's tokens), instead of "
                  "one random token: a passage to repeat makes lookup drafts come true")
      ->check(CLI::ExistingFile);
  sub->add_flag("--json", options->json, "Print one JSON object");
  return {sub, [options] { return bench(*options); }};
}

}  // namespace weft::cli
