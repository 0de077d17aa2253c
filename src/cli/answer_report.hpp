// What `weft run` says on stderr about an answer: which backend and model answer and why
// (before), and its timings (after: a readable line for --verbose, a JSON line for --stats).
#pragma once

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/local_backend.hpp"
#include "weft/events.hpp"

namespace weft::cli {

// e.g. "native: stories260K (bundled default; no model given and no Ollama answered)".
std::string describe_choice(const LocalBackendChoice& choice);

// "1.234 s" / "12.3 ms".
std::string seconds_text(std::chrono::nanoseconds duration);

struct AnswerReport {
  DoneEvent done;
  std::chrono::nanoseconds load{0};
  uint32_t streamed_tokens = 0;  // token events the CLI received
};

// "prompt: 12 tokens, 340.1 tokens/s; generation: 64 tokens, 120.5 tokens/s".
std::string speed_line(const AnswerReport& report);

// The --stats line; its fields are described in docs/cli.md.
nlohmann::json stats_json(const AnswerReport& report);

}  // namespace weft::cli
