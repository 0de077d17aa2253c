// Splits what a model writes into the visible answer, its reasoning (<think>…</think> or
// other configured markers) and tool calls in the common formats:
//   hermes   <tool_call>{"name": …, "arguments": …}</tool_call>  (Hermes 2/3, Qwen 2.5)
//   llama3   {"name": …, "parameters": …}, possibly after <|python_tag|>  (Llama 3.x)
//   mistral  [TOOL_CALLS][{"name": …, "arguments": …, "id": …}, …]  (Mistral)
// Streaming-safe: feed any split of the output; a marker split across chunks is still
// recognised, and text is held back only while it could still be the start of a marker (or,
// for tool calls, until the call's JSON is complete).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace weft::chat {

enum class ToolCallFormat { none, hermes, llama3, mistral };

struct ToolCall {
  std::string name;
  nlohmann::ordered_json arguments;  // as the model wrote them (a JSON string stays a string)
  std::string id;                    // when the format carries one (Mistral)

  bool operator==(const ToolCall&) const = default;
};

struct DecodedOutput {
  std::string text;       // the visible answer
  std::string reasoning;  // inside the reasoning markers (markers removed)
  std::vector<ToolCall> tool_calls;

  void append(const DecodedOutput& more);
  bool operator==(const DecodedOutput&) const = default;
};

struct ReasoningMarkers {
  std::string open;
  std::string close;
};

struct DecoderConfig {
  std::vector<ReasoningMarkers> reasoning = {{"<think>", "</think>"}};
  // For templates whose generation prompt already opened the reasoning (DeepSeek R1 ends the
  // prompt with "<think>\n"): the output starts inside reasoning.
  bool starts_in_reasoning = false;
  ToolCallFormat tool_calls = ToolCallFormat::none;
};

class OutputDecoder {
 public:
  explicit OutputDecoder(DecoderConfig config = {});

  // What became certain with this chunk.
  DecodedOutput feed(std::string_view chunk);
  // At the end of the output: everything still held back. A tool call that never completed
  // or is not valid JSON is returned as text, so nothing the model wrote is lost.
  DecodedOutput finish();

  // Where the output stands after the last feed: inside a reasoning block, or inside tool
  // calls still being written.
  bool in_reasoning() const { return mode_ == Mode::reasoning; }
  bool in_tool_calls() const {
    return mode_ == Mode::hermes_call || mode_ == Mode::mistral_calls || mode_ == Mode::json_calls;
  }

 private:
  enum class Mode { content, reasoning, hermes_call, mistral_calls, json_calls };

  void step(DecodedOutput& out, bool final);
  bool step_content(DecodedOutput& out, bool final);
  bool step_reasoning(DecodedOutput& out, bool final);
  bool step_hermes(DecodedOutput& out, bool final);
  bool step_json_calls(DecodedOutput& out, bool final);
  void emit_text(DecodedOutput& out, std::string_view text);
  void end_tool_calls();

  DecoderConfig config_;
  Mode mode_ = Mode::content;
  std::string pending_;
  std::string reasoning_close_;
  std::string opened_with_;  // the marker that started the current tool-call block
  bool at_start_ = true;     // no visible text yet (Llama 3 calls are the whole answer)
  bool after_call_ = false;  // a Llama 3 call just ended: another may follow
};

// The decoder settings that suit a chat template, guessed
// from the markers its source uses.
DecoderConfig decoder_config_for_template(std::string_view template_source);

}  // namespace weft::chat
