// Generation events → Ollama response objects: the NDJSON lines of /api/chat and
// /api/generate, their final line's counts and nanosecond durations, and model details.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "chat/output_decoder.hpp"
#include "weft/events.hpp"
#include "weft/types.hpp"

namespace weft::http {

// "2026-12-05T07:20:01.123456789Z"
std::string rfc3339_nano_now();

// done:true, done_reason, total/load/prompt_eval/eval durations (ns) and counts.
void add_ollama_done_fields(nlohmann::json& object, const DoneEvent& done,
                            const std::string& done_reason);
// "stop" or "length".
std::string ollama_done_reason(StopReason reason);

// Ollama's tool call: {"function":{"name","arguments":{…}}}.
nlohmann::json ollama_tool_call(const chat::ToolCall& call);

// One generation's visible text, thinking and tool calls, as they become certain.
class OllamaOutput {
 public:
  // `show_thinking`: false drops the reasoning (think:false).
  OllamaOutput(chat::DecoderConfig decoder, bool show_thinking);

  chat::DecodedOutput feed(const std::string& text);
  chat::DecodedOutput finish();
  const chat::DecodedOutput& all() const { return all_; }

 private:
  chat::DecodedOutput keep(chat::DecodedOutput output);

  chat::OutputDecoder decoder_;
  bool show_thinking_;
  chat::DecodedOutput all_;
};

// The chat line's message: {"role":"assistant","content",…"thinking","tool_calls"}.
nlohmann::json ollama_message(const chat::DecodedOutput& output);

// "260.0K", "1.5B": the parameter count as Ollama's details show it.
std::string parameter_size_text(uint64_t parameters);
// details {parent_model, format, family, families, parameter_size, quantization_level}.
nlohmann::json ollama_details(const ModelInfo& info);

}  // namespace weft::http
