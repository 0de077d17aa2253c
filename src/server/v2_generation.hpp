// One admitted inferd wire v2 generation on a worker thread: the backend's tokens go through
// the chat template's output decoder and come out as v2 blocks — `text` and `thinking`
// deltas, whole `tool_use` calls — then exactly one terminal `done` or `error` frame.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "chat/output_decoder.hpp"
#include "server/context.hpp"
#include "server/generation_job.hpp"
#include "weft/types.hpp"

namespace weft::server {

struct V2GenerationJob {
  GenerationRequest request;
  bool stream = true;     // false: only tool_use frames, then the terminal frame (spec §3.1)
  bool thinking = false;  // false: a reasoning trace the model writes anyway is not sent
  chat::DecoderConfig decoder;
  std::chrono::steady_clock::time_point received;
  std::shared_ptr<GenerationHandle> handle;
  std::shared_ptr<Outbox> outbox;
  std::function<void(std::string)> deliver;  // posts one frame to the connection
  std::function<void()> finished;            // posts "next request" to the connection
};

// On a worker thread. Releases the admission slot and writes one request log line.
void run_v2_generation(ServerContext& context, V2GenerationJob job);

// The decoder settings for the loaded model's chat template (reasoning markers, tool-call
// syntax); tool calls are only looked for when the request offered tools.
chat::DecoderConfig decoder_config_for(const Backend* backend, bool tools);

// Whether the backend enforces GenerationOptions::grammar (the native one does).
bool backend_applies_grammars(const Backend* backend);

// The v2 wire name of weft's error codes.
const char* v2_error_code(ErrorCode code);

}  // namespace weft::server
