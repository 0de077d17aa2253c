#include "chat/output_decoder.hpp"

#include <algorithm>
#include <variant>

namespace weft::chat {
namespace {

constexpr std::string_view kHermesOpen = "<tool_call>";
constexpr std::string_view kHermesClose = "</tool_call>";
constexpr std::string_view kMistralOpen = "[TOOL_CALLS]";
constexpr std::string_view kPythonTag = "<|python_tag|>";

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t skip_spaces(std::string_view text, size_t from = 0) {
  while (from < text.size() && is_space(text[from])) ++from;
  return from;
}

// Length of the longest suffix of `text` that is a proper prefix of `marker`.
size_t partial_marker_suffix(std::string_view text, std::string_view marker) {
  size_t longest = std::min(text.size(), marker.size() - 1);
  for (size_t length = longest; length > 0; --length) {
    if (text.substr(text.size() - length) == marker.substr(0, length)) return length;
  }
  return 0;
}

enum class JsonEnd { incomplete, invalid };

// Where the JSON object or array starting at `from` (after spaces) ends: the index just past
// it, or incomplete / invalid. Only brackets and strings are tracked; the parser checks the rest.
std::variant<size_t, JsonEnd> find_json_end(std::string_view text, size_t from) {
  size_t i = skip_spaces(text, from);
  if (i >= text.size()) return JsonEnd::incomplete;
  if (text[i] != '{' && text[i] != '[') return JsonEnd::invalid;
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return JsonEnd::incomplete;
}

nlohmann::ordered_json parse_json(std::string_view text) {
  return nlohmann::ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
}

// {"name": …, "arguments"|"parameters": …} → a tool call; false when it is not one.
bool to_tool_call(const nlohmann::ordered_json& object, ToolCall& call) {
  if (!object.is_object() || !object.contains("name") || !object["name"].is_string()) return false;
  call.name = object["name"].get<std::string>();
  if (object.contains("arguments")) {
    call.arguments = object["arguments"];
  } else if (object.contains("parameters")) {
    call.arguments = object["parameters"];
  } else {
    call.arguments = nlohmann::ordered_json::object();
  }
  if (object.contains("id") && object["id"].is_string()) call.id = object["id"].get<std::string>();
  return true;
}

}  // namespace

void DecodedOutput::append(const DecodedOutput& more) {
  text += more.text;
  reasoning += more.reasoning;
  tool_calls.insert(tool_calls.end(), more.tool_calls.begin(), more.tool_calls.end());
}

OutputDecoder::OutputDecoder(DecoderConfig config) : config_(std::move(config)) {
  if (config_.starts_in_reasoning && !config_.reasoning.empty()) {
    mode_ = Mode::reasoning;
    reasoning_close_ = config_.reasoning.front().close;
  }
}

DecodedOutput OutputDecoder::feed(std::string_view chunk) {
  pending_.append(chunk);
  DecodedOutput out;
  step(out, false);
  return out;
}

DecodedOutput OutputDecoder::finish() {
  DecodedOutput out;
  step(out, true);
  return out;
}

void OutputDecoder::step(DecodedOutput& out, bool final) {
  bool progressed = true;
  while (progressed) {
    switch (mode_) {
      case Mode::content:
        progressed = step_content(out, final);
        break;
      case Mode::reasoning:
        progressed = step_reasoning(out, final);
        break;
      case Mode::hermes_call:
        progressed = step_hermes(out, final);
        break;
      case Mode::mistral_calls:
      case Mode::json_calls:
        progressed = step_json_calls(out, final);
        break;
    }
  }
}

void OutputDecoder::emit_text(DecodedOutput& out, std::string_view text) {
  if (text.empty()) return;
  out.text.append(text);
  if (skip_spaces(text) < text.size()) at_start_ = false;
}

bool OutputDecoder::step_content(DecodedOutput& out, bool final) {
  if (pending_.empty()) return false;
  const bool llama3 = config_.tool_calls == ToolCallFormat::llama3;
  // A Llama 3 tool call is the whole answer: a JSON object first thing in the output.
  if (llama3 && at_start_) {
    size_t first = skip_spaces(pending_);
    if (first == pending_.size()) {
      if (final) {
        emit_text(out, pending_);
        pending_.clear();
      }
      return false;
    }
    if (pending_[first] == '{') {
      opened_with_.clear();
      mode_ = Mode::json_calls;
      return true;
    }
  }
  struct Marker {
    std::string_view text;
    Mode mode;
    const ReasoningMarkers* reasoning = nullptr;
  };
  std::vector<Marker> markers;
  for (const auto& pair : config_.reasoning) markers.push_back({pair.open, Mode::reasoning, &pair});
  if (config_.tool_calls == ToolCallFormat::hermes)
    markers.push_back({kHermesOpen, Mode::hermes_call});
  if (config_.tool_calls == ToolCallFormat::mistral)
    markers.push_back({kMistralOpen, Mode::mistral_calls});
  if (llama3) markers.push_back({kPythonTag, Mode::json_calls});

  size_t best = std::string::npos;
  const Marker* found = nullptr;
  for (const auto& marker : markers) {
    size_t at = pending_.find(marker.text);
    if (at < best) {
      best = at;
      found = &marker;
    }
  }
  if (found) {
    emit_text(out, std::string_view(pending_).substr(0, best));
    pending_.erase(0, best + found->text.size());
    mode_ = found->mode;
    if (found->reasoning) reasoning_close_ = found->reasoning->close;
    opened_with_ = std::string(found->text);
    return true;
  }
  size_t hold = 0;
  if (!final) {
    for (const auto& marker : markers)
      hold = std::max(hold, partial_marker_suffix(pending_, marker.text));
  }
  emit_text(out, std::string_view(pending_).substr(0, pending_.size() - hold));
  pending_.erase(0, pending_.size() - hold);
  return false;
}

bool OutputDecoder::step_reasoning(DecodedOutput& out, bool final) {
  if (pending_.empty()) return false;
  size_t at = pending_.find(reasoning_close_);
  if (at != std::string::npos) {
    out.reasoning.append(pending_, 0, at);
    pending_.erase(0, at + reasoning_close_.size());
    mode_ = Mode::content;
    return true;
  }
  size_t hold = final ? 0 : partial_marker_suffix(pending_, reasoning_close_);
  out.reasoning.append(pending_, 0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return false;
}

bool OutputDecoder::step_hermes(DecodedOutput& out, bool final) {
  size_t close = pending_.find(kHermesClose);
  if (close == std::string::npos && !final) return false;
  std::string body = pending_.substr(0, close);
  ToolCall call;
  if (to_tool_call(parse_json(body), call)) {
    out.tool_calls.push_back(std::move(call));
    at_start_ = false;
  } else {
    // Not a tool call after all: give the model's text back unchanged.
    std::string original = std::string(kHermesOpen) + body;
    if (close != std::string::npos) original += kHermesClose;
    emit_text(out, original);
  }
  pending_.erase(0, close == std::string::npos ? pending_.size() : close + kHermesClose.size());
  mode_ = Mode::content;
  return true;
}

void OutputDecoder::end_tool_calls() {
  opened_with_.clear();
  after_call_ = false;
  at_start_ = false;
  mode_ = Mode::content;
}

bool OutputDecoder::step_json_calls(DecodedOutput& out, bool final) {
  const bool is_mistral = mode_ == Mode::mistral_calls;
  if (after_call_) {
    // Llama 3 may write several calls separated by ';' or newlines; anything else is text.
    size_t next = pending_.find_first_not_of(" \t\r\n;");
    if (next == std::string::npos) {
      if (!final) return false;
      pending_.clear();
      end_tool_calls();
      return false;
    }
    if (pending_[next] != '{') {
      end_tool_calls();
      return true;
    }
    pending_.erase(0, next);
  }
  auto end = find_json_end(pending_, 0);
  if (std::holds_alternative<JsonEnd>(end) && std::get<JsonEnd>(end) == JsonEnd::incomplete &&
      !final)
    return false;
  std::vector<ToolCall> calls;
  // What is given back as text when this is no tool call: a JSON value that is not one, all
  // of an unfinished one at the end, or nothing after a marker that no JSON follows (the rest
  // is scanned again as content, so a marker after it still counts).
  size_t consumed =
      std::holds_alternative<JsonEnd>(end) && std::get<JsonEnd>(end) == JsonEnd::invalid
          ? 0
          : pending_.size();
  bool valid = false;
  if (std::holds_alternative<size_t>(end)) {
    consumed = std::get<size_t>(end);
    auto json = parse_json(std::string_view(pending_).substr(0, consumed));
    auto items = json.is_array() ? json : nlohmann::ordered_json::array({json});
    valid = !json.is_discarded() && !items.empty();
    for (const auto& item : items) {
      ToolCall call;
      valid = valid && to_tool_call(item, call);
      calls.push_back(std::move(call));
    }
  }
  if (!valid) {
    emit_text(out, opened_with_);
    emit_text(out, std::string_view(pending_).substr(0, consumed));
    pending_.erase(0, consumed);
    end_tool_calls();
    return true;
  }
  out.tool_calls.insert(out.tool_calls.end(), calls.begin(), calls.end());
  pending_.erase(0, consumed);
  opened_with_.clear();
  at_start_ = false;
  if (is_mistral) {
    end_tool_calls();
  } else {
    after_call_ = true;
  }
  return true;
}

DecoderConfig decoder_config_for_template(std::string_view source) {
  DecoderConfig config;
  if (source.find("<tool_call>") != std::string_view::npos) {
    config.tool_calls = ToolCallFormat::hermes;
  } else if (source.find("[TOOL_CALLS]") != std::string_view::npos) {
    config.tool_calls = ToolCallFormat::mistral;
  } else if (source.find("<|start_header_id|>") != std::string_view::npos &&
             source.find("\"parameters\"") != std::string_view::npos) {
    config.tool_calls = ToolCallFormat::llama3;
  }
  // Templates that open the reasoning in the generation prompt.
  config.starts_in_reasoning = source.find("<｜Assistant｜><think>") != std::string_view::npos;
  return config;
}

}  // namespace weft::chat
