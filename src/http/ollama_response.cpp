#include "http/ollama_response.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace weft::http {

using nlohmann::json;

std::string rfc3339_nano_now() {
  const auto now = std::chrono::system_clock::now();
  const auto nanos =
      std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(nanos / 1000000000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &utc);
  char text[48];
  std::snprintf(text, sizeof(text), "%s.%09lldZ", date, static_cast<long long>(nanos % 1000000000));
  return text;
}

std::string ollama_done_reason(StopReason reason) {
  return reason == StopReason::length ? "length" : "stop";
}

void add_ollama_done_fields(json& object, const DoneEvent& done, const std::string& done_reason) {
  object["done"] = true;
  object["done_reason"] = done_reason;
  object["total_duration"] = done.timings.total.count();
  object["load_duration"] = done.timings.load.count();
  object["prompt_eval_count"] = done.usage.prompt_tokens;
  object["prompt_eval_duration"] = done.timings.prompt.count();
  object["eval_count"] = done.usage.completion_tokens;
  object["eval_duration"] = done.timings.generation.count();
}

json ollama_tool_call(const chat::ToolCall& call) {
  json arguments = call.arguments;
  // Ollama's arguments are an object; a model that wrote JSON text gets it parsed.
  if (arguments.is_string()) {
    auto parsed = json::parse(arguments.get<std::string>(), nullptr, false);
    if (parsed.is_object()) arguments = parsed;
  }
  return {{"function", {{"name", call.name}, {"arguments", arguments}}}};
}

OllamaOutput::OllamaOutput(chat::DecoderConfig decoder, bool show_thinking)
    : decoder_(std::move(decoder)), show_thinking_(show_thinking) {}

chat::DecodedOutput OllamaOutput::keep(chat::DecodedOutput output) {
  if (!show_thinking_) output.reasoning.clear();
  all_.append(output);
  return output;
}

chat::DecodedOutput OllamaOutput::feed(const std::string& text) {
  return keep(decoder_.feed(text));
}

chat::DecodedOutput OllamaOutput::finish() {
  return keep(decoder_.finish());
}

json ollama_message(const chat::DecodedOutput& output) {
  json message = {{"role", "assistant"}, {"content", output.text}};
  if (!output.reasoning.empty()) message["thinking"] = output.reasoning;
  if (!output.tool_calls.empty()) {
    json calls = json::array();
    for (const auto& call : output.tool_calls) calls.push_back(ollama_tool_call(call));
    message["tool_calls"] = std::move(calls);
  }
  return message;
}

std::string parameter_size_text(uint64_t parameters) {
  char text[32];
  const double count = static_cast<double>(parameters);
  if (count >= 1e9) {
    std::snprintf(text, sizeof(text), "%.1fB", count / 1e9);
  } else if (count >= 1e6) {
    std::snprintf(text, sizeof(text), "%.1fM", count / 1e6);
  } else {
    std::snprintf(text, sizeof(text), "%.1fK", count / 1e3);
  }
  return text;
}

json ollama_details(const ModelInfo& info) {
  return {{"parent_model", ""},
          {"format", "gguf"},
          {"family", info.architecture},
          {"families", json::array({info.architecture})},
          {"parameter_size", parameter_size_text(info.parameter_count)},
          {"quantization_level", info.quantization}};
}

}  // namespace weft::http
