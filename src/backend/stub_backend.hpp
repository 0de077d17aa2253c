// The stub backend: canned text, streamed word by word, so the daemon answers even when
// no model or remote server is there. It honours max_tokens, stop strings and cancel.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "weft/backend.hpp"

namespace weft::backend {

inline constexpr const char* kStubCannedText =
    "This is weft's stub backend: no model is loaded, so this canned answer is streamed "
    "one word at a time. Give a model with --model FILE to run real inference.";

// WEFT_STUB_TEXT when it is set and not empty (tests give the answer they need, e.g. Markdown
// or markup for the chat page), else kStubCannedText.
std::string stub_text_from_environment();

struct StubConfig {
  // What every answer streams; a text set here wins over the environment.
  std::string text = stub_text_from_environment();
  // Delay before each word. Unset: WEFT_STUB_DELAY_MS (whole milliseconds, 0 to 60000),
  // else 5 ms; a delay set here wins over the environment.
  std::optional<std::chrono::milliseconds> token_delay;
};

// WEFT_STUB_DELAY_MS, or 5 ms when it is unset; throws weft::Error when it is not a whole
// number of milliseconds from 0 to 60000.
std::chrono::milliseconds stub_token_delay_from_environment();

class StubBackend : public Backend {
 public:
  explicit StubBackend(StubConfig config = {});

  std::string name() const override { return "stub"; }
  Availability available() const override { return {true, {}}; }
  void load(const LoadOptions& options) override;
  ModelInfo model_info() const override;
  GenerationStream generate(const GenerationRequest& request) override;

  // The delay in use: the configured one, else the environment's.
  std::chrono::milliseconds token_delay() const { return token_delay_; }

 private:
  StubConfig config_;
  std::chrono::milliseconds token_delay_;
};

}  // namespace weft::backend
