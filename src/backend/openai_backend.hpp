// The `openai` backend: generations served by any OpenAI-compatible server (vLLM, llama.cpp
// server, TGI, a cloud API) over POST /v1/chat/completions with SSE streaming.
// See docs/backends.md for the environment variables and the option mapping.
#pragma once

#include <chrono>
#include <string>

#include "backend/streaming_http.hpp"
#include "weft/backend.hpp"

namespace weft::backend {

struct OpenAiConfig {
  // WEFT_OPENAI_BASE_URL, default http://localhost:8000; a trailing "/v1" is accepted.
  std::string base_url = "http://localhost:8000";
  std::string api_key;  // WEFT_OPENAI_API_KEY, else OPENAI_API_KEY; sent as a bearer token
  std::string model;    // WEFT_OPENAI_MODEL; LoadOptions / the request override it
  HttpTimeouts timeouts;
  std::chrono::milliseconds probe_timeout{500};      // available()
  std::chrono::milliseconds request_timeout{10000};  // /v1/models

  static OpenAiConfig from_environment();
};

class OpenAiBackend : public Backend {
 public:
  explicit OpenAiBackend(OpenAiConfig config = OpenAiConfig::from_environment());

  std::string name() const override { return "openai"; }
  Availability available() const override;
  // Takes LoadOptions::model_path (else the configured model, else the first model the
  // server lists) as the model name. Throws weft::Error when it has to ask the server and
  // cannot. The name is not checked: some servers serve one model under any name.
  void load(const LoadOptions& options) override;
  ModelInfo model_info() const override;
  std::vector<std::string> list_models() override;
  GenerationStream generate(const GenerationRequest& request) override;

 private:
  std::vector<std::string> auth_headers() const;

  OpenAiConfig config_;
  std::string model_;
  // Declared last: destroyed first, so every transfer has ended before the rest goes.
  StreamingTransfers transfers_;
};

// The SSE consumer of one generation's body, exposed so that tests can feed it bytes
// split at every position.
std::unique_ptr<StreamConsumer> make_openai_stream_consumer(GenerationChannel channel,
                                                            std::string url);

}  // namespace weft::backend
