#include "cli/speculative_answer.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

#include "cli/number_checks.hpp"
#include "store/model_resolver.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/draft_speculator.hpp"
#include "weft/error.hpp"
#include "weft/speculator.hpp"

namespace weft::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kDefaultModelDrafts = 4;
constexpr size_t kDefaultLookupDrafts = 4;

void refuse_unsupported(const GenerationOptions& options) {
  const auto refuse = [](const std::string& what) {
    throw Error(ErrorCode::invalid_request, "--draft and --lookup cannot be combined with " + what +
                                                " (speculative decoding in weft run has none yet)");
  };
  if (!options.stop.empty()) refuse("--stop");
  if (!options.grammar.empty()) refuse("a grammar (--grammar, --json, --json-schema, --regex)");
  if (!options.logit_bias.empty()) refuse("logit bias");
  if (options.logprobs || options.top_logprobs > 0) refuse("log-probabilities");
}

std::unique_ptr<Speculator> make_speculator(const ContextRuntime& target,
                                            const SpeculationFlags& flags, uint32_t threads) {
  if (flags.lookup != 0) {
    return std::make_unique<NgramSpeculator>(flags.lookup,
                                             flags.draft_tokens.value_or(kDefaultLookupDrafts));
  }
  auto draft = ContextRuntime::open({.model_path = store::resolve_model_path(flags.draft_model),
                                     .context_length = target.context_length(),
                                     .threads = threads});
  return std::make_unique<DraftModelSpeculator>(
      target, std::move(draft),
      DraftModelOptions{.draft_tokens = flags.draft_tokens.value_or(kDefaultModelDrafts),
                        .min_probability = flags.draft_min_probability});
}

StopReason stop_reason_of(GeneratorStop stop) {
  return stop == GeneratorStop::max_tokens || stop == GeneratorStop::context_length
             ? StopReason::length
             : StopReason::end;
}

}  // namespace

void add_speculation_options(CLI::App& app, SpeculationFlags& flags) {
  auto* draft = app.add_option("--draft", flags.draft_model,
                               "Speculative decoding with MODEL (a GGUF file or store name with "
                               "the same vocabulary, e.g. a smaller or more quantised copy) "
                               "drafting tokens that the model verifies in one pass; the output "
                               "is the same as without it (native backend)")
                    ->option_text("MODEL");
  auto* lookup = app.add_flag("--lookup{3}", flags.lookup,
                              "Speculative decoding by prompt lookup: the text after the latest "
                              "earlier occurrence of the last N-1 tokens (--lookup=N, default 3) "
                              "is drafted; no second model (native backend)")
                     ->check(CLI::Range(2, 16))
                     ->option_text("[=N]");
  draft->excludes(lookup);
  app.add_option("--draft-tokens", flags.draft_tokens,
                 "Tokens drafted per verification pass with --draft or --lookup (default 4)")
      ->check(CLI::Range(1, 64));
  app.add_option("--draft-p-min", flags.draft_min_probability,
                 "With --draft: end a draft at a token the draft model gives less probability "
                 "(default 0: always --draft-tokens)")
      ->check(number_between(0, 1))
      ->needs(draft);
}

SpeculativeAnswer answer_speculatively(backend::NativeBackend& native,
                                       const GenerationRequest& request,
                                       const SpeculationFlags& flags, uint32_t threads,
                                       const std::function<void(std::string_view)>& emit) {
  refuse_unsupported(request.options);
  const auto runtime = native.context_runtime();
  const auto speculator = make_speculator(*runtime, flags, threads);
  const auto prompt = native.prompt_token_ids(request);

  const auto start = Clock::now();
  auto context = runtime->create();
  context.append(prompt);
  // The first token is sampled from the prompt's logits, as on the plain path.
  const auto prefilled = Clock::now();
  Generator generator(*runtime, context,
                      {.sampling = request.options, .speculator = speculator.get()});
  tokenizer::StreamingDetokenizer text(*native.tokenizer(), prompt);
  SpeculativeAnswer answer;
  auto last = prefilled;
  while (const auto token = generator.step()) {
    ++answer.streamed_tokens;
    emit(text.push(*token));
    last = Clock::now();
  }
  emit(text.flush());

  answer.speculation = generator.speculation();
  auto& done = answer.done;
  done.backend = native.name();
  done.reason = stop_reason_of(generator.stop_reason());
  done.usage.prompt_tokens = static_cast<uint32_t>(prompt.size());
  done.usage.completion_tokens = static_cast<uint32_t>(generator.tokens().size());
  done.timings.prompt = prefilled - start;
  done.timings.first_token = prefilled - start;
  done.timings.generation = last - prefilled;
  done.timings.total = Clock::now() - start;
  return answer;
}

std::string speculation_line(const SpeculativeAnswer& answer) {
  const auto& s = answer.speculation;
  const auto tokens = answer.done.usage.completion_tokens;
  char text[256];
  std::snprintf(text, sizeof text,
                "speculation: %zu drafted, %zu accepted (%.1f%%), %zu passes for %u tokens (%.2f "
                "per pass)",
                s.drafted, s.accepted, s.drafted ? 100.0 * s.accepted / s.drafted : 0.0, s.passes,
                tokens, s.passes ? static_cast<double>(tokens) / s.passes : 0.0);
  return text;
}

nlohmann::json speculation_json(const SpeculativeAnswer& answer) {
  const auto& s = answer.speculation;
  return {{"drafted", s.drafted},
          {"accepted", s.accepted},
          {"acceptance", s.drafted ? nlohmann::json(static_cast<double>(s.accepted) / s.drafted)
                                   : nlohmann::json(nullptr)},
          {"passes", s.passes}};
}

}  // namespace weft::cli
