#include "cli/answer_report.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>

#include "backend/http_probe.hpp"

namespace weft::cli {
namespace {

double milliseconds(std::chrono::nanoseconds duration) {
  return std::chrono::duration<double, std::milli>(duration).count();
}

// Tokens per second, or nothing where no time was measured.
std::optional<double> rate(uint32_t tokens, std::chrono::nanoseconds duration) {
  if (tokens == 0 || duration.count() <= 0) return std::nullopt;
  return tokens / std::chrono::duration<double>(duration).count();
}

// Prefill computes the prompt tokens the prefix cache did not supply.
uint32_t prefilled_tokens(const Usage& usage) {
  return usage.prompt_tokens - std::min(usage.cached_prompt_tokens, usage.prompt_tokens);
}

// The first generated token comes out of the prefill; Timings::generation runs from it to the
// last, so it covers the tokens after the first.
uint32_t decoded_tokens(const Usage& usage) {
  return usage.completion_tokens > 0 ? usage.completion_tokens - 1 : 0;
}

std::string rate_text(std::optional<double> tokens_per_second) {
  if (!tokens_per_second) return "n/a";
  char text[64];
  std::snprintf(text, sizeof text, "%.1f tokens/s", *tokens_per_second);
  return text;
}

nlohmann::json json_rate(std::optional<double> tokens_per_second) {
  return tokens_per_second ? nlohmann::json(*tokens_per_second) : nlohmann::json(nullptr);
}

}  // namespace

std::string describe_choice(const LocalBackendChoice& choice) {
  const std::string& backend = choice.selection.backend;
  const std::string& why = choice.selection.rule;
  if (choice.uses_bundled_model)
    return backend + ": " + std::filesystem::path(choice.model).stem().string() +
           " (bundled default; " + why + ")";
  if (backend == "ollama")
    return "ollama at " + backend::ollama_base_url() + ", model " +
           (choice.model.empty() ? std::string("of its choosing") : choice.model) + " (" + why +
           (choice.model.empty() ? "; no --model given)" : ")");
  std::string model = choice.model.empty() ? std::string("no model file") : choice.model;
  if (!choice.reference.empty() && choice.reference != choice.model)
    model = choice.reference + " (" + choice.model + ")";  // a store name and its blob
  return backend + ": " + model + " (" + why + ")";
}

std::string seconds_text(std::chrono::nanoseconds duration) {
  char text[64];
  const double ms = milliseconds(duration);
  if (ms >= 1000) {
    std::snprintf(text, sizeof text, "%.3f s", ms / 1000);
  } else {
    std::snprintf(text, sizeof text, "%.1f ms", ms);
  }
  return text;
}

std::string speed_line(const AnswerReport& report) {
  const auto& usage = report.done.usage;
  const auto& timings = report.done.timings;
  return "prompt: " + std::to_string(usage.prompt_tokens) + " tokens (" +
         std::to_string(prefilled_tokens(usage)) + " computed), " +
         rate_text(rate(prefilled_tokens(usage), timings.prompt)) +
         "; generation: " + std::to_string(usage.completion_tokens) + " tokens, " +
         rate_text(rate(decoded_tokens(usage), timings.generation)) + "; total " +
         seconds_text(timings.total);
}

nlohmann::json stats_json(const AnswerReport& report) {
  const auto& usage = report.done.usage;
  const auto& timings = report.done.timings;
  return {
      {"backend", report.done.backend},
      {"stop_reason", std::string(to_string(report.done.reason))},
      {"prompt_tokens", usage.prompt_tokens},
      {"cached_prompt_tokens", usage.cached_prompt_tokens},
      {"completion_tokens", usage.completion_tokens},
      {"streamed_tokens", report.streamed_tokens},
      {"load_ms", milliseconds(report.load)},
      {"prompt_ms", milliseconds(timings.prompt)},
      {"generation_ms", milliseconds(timings.generation)},
      {"first_token_ms", milliseconds(timings.first_token)},
      {"total_ms", milliseconds(timings.total)},
      {"prompt_tokens_per_s", json_rate(rate(prefilled_tokens(usage), timings.prompt))},
      {"generation_tokens_per_s", json_rate(rate(decoded_tokens(usage), timings.generation))},
  };
}

}  // namespace weft::cli
