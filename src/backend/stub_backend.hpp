// The stub backend: canned text, streamed word by word, so the daemon answers even when
// no model or remote server is there. It honours max_tokens, stop strings and cancel.
#pragma once

#include <chrono>
#include <string>

#include "weft/backend.hpp"

namespace weft::backend {

struct StubConfig {
  std::string text =
      "This is weft's stub backend: no model is loaded, so this canned answer is streamed "
      "one word at a time. Give a model with --model FILE to run real inference.";
  std::chrono::milliseconds token_delay{5};  // WEFT_STUB_DELAY_MS overrides
};

class StubBackend : public Backend {
 public:
  explicit StubBackend(StubConfig config = {});

  std::string name() const override { return "stub"; }
  Availability available() const override { return {true, {}}; }
  void load(const LoadOptions& options) override;
  ModelInfo model_info() const override;
  GenerationStream generate(const GenerationRequest& request) override;

 private:
  StubConfig config_;
};

}  // namespace weft::backend
