// The `ollama` backend: generations served by an Ollama server over its REST API
// (POST /api/chat, streamed NDJSON). See docs/backends.md for the option mapping.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "backend/streaming_http.hpp"
#include "weft/backend.hpp"

namespace weft::backend {

struct OllamaConfig {
  std::string base_url;  // from OLLAMA_HOST, default http://localhost:11434
  HttpTimeouts timeouts;
  std::chrono::milliseconds probe_timeout{500};      // available()
  std::chrono::milliseconds request_timeout{10000};  // /api/tags, /api/show

  static OllamaConfig from_environment();
};

class OllamaBackend : public Backend {
 public:
  explicit OllamaBackend(OllamaConfig config = OllamaConfig::from_environment());

  std::string name() const override { return "ollama"; }
  Availability available() const override;
  // Takes LoadOptions::model_path as the model name (default: the first model the server
  // lists) and reads its facts from /api/show. Throws weft::Error when the server cannot be
  // reached or does not have the model.
  void load(const LoadOptions& options) override;
  ModelInfo model_info() const override { return info_; }
  std::vector<std::string> list_models() override;
  GenerationStream generate(const GenerationRequest& request) override;

 private:
  OllamaConfig config_;
  std::string model_;
  std::optional<uint32_t> num_ctx_;
  ModelInfo info_;
  // Declared last: destroyed first, so every transfer has ended before the rest goes.
  StreamingTransfers transfers_;
};

// The NDJSON consumer of one generation's body, exposed so that tests can feed it bytes
// split at every position.
std::unique_ptr<StreamConsumer> make_ollama_stream_consumer(GenerationChannel channel,
                                                            std::string url);

}  // namespace weft::backend
