// Plain value types shared by every backend: messages, options, model facts.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <weft/export.hpp>

namespace weft {

enum class Role { system, user, assistant, tool };

WEFT_EXPORT std::string_view to_string(Role role);
// Parses a lowercase role name; returns nullopt for anything else.
WEFT_EXPORT std::optional<Role> parse_role(std::string_view name);

// A tool call an assistant turn made, as a chat template renders it back to the model.
struct WEFT_EXPORT MessageToolCall {
  std::string id;
  std::string name;
  std::string arguments_json;  // the arguments object as JSON text
};

struct WEFT_EXPORT Message {
  Role role = Role::user;
  std::string content;
  std::string name{};                         // tool results: the tool's name (optional)
  std::string tool_call_id{};                 // tool results: the call they answer (optional)
  std::vector<MessageToolCall> tool_calls{};  // assistant turns that called tools
};

// Sampling and stopping controls for one generation. Unset optionals mean "the backend's
// default", so that a remote backend can leave the choice to its server.
struct WEFT_EXPORT GenerationOptions {
  uint32_t max_tokens = 256;
  std::optional<float> temperature{};
  std::optional<uint32_t> top_k{};
  std::optional<float> top_p{};
  std::optional<float> min_p{};
  std::optional<uint64_t> seed{};
  std::vector<std::string> stop{};
  std::optional<float> repeat_penalty{};
  std::optional<float> frequency_penalty{};
  std::optional<float> presence_penalty{};
  // A GBNF grammar (src/grammar) the generated text must match; "" = unconstrained.
  std::string grammar{};
  // With a grammar: the output is free until this text appears in it, and from the text's
  // first byte on must match the grammar ("" = the grammar applies from the start). Strict
  // tools under tool_choice "auto": "<tool_call>" starts a call that must be valid.
  std::string grammar_trigger{};
  // Added to the logits of these token ids before sampling (OpenAI `logit_bias`).
  std::vector<std::pair<int32_t, float>> logit_bias{};
  // Report each sampled token's log-probability, and this many most likely alternatives.
  bool logprobs = false;
  uint32_t top_logprobs = 0;
};

struct WEFT_EXPORT GenerationRequest {
  std::string id;                 // caller's id, echoed in logs; may be empty
  std::vector<Message> messages;  // chat turns; a completion is one user message
  bool raw_prompt = false;        // true: messages[0].content is the prompt, no chat format
  std::string model;              // remote backends: the model name to ask for ("" = default)
  std::string tools_json{};  // JSON array of tool definitions for the chat template ("" = none)
  GenerationOptions options;
};

// Texts to embed, each on its own (no chat format): one vector per input.
struct WEFT_EXPORT EmbeddingRequest {
  std::vector<std::string> inputs{};
  bool normalize = true;  // L2-normalise each vector (OpenAI and Ollama return unit vectors)
};

struct WEFT_EXPORT EmbeddingResult {
  std::vector<std::vector<float>> vectors{};
  uint32_t prompt_tokens = 0;  // over all inputs
};

// How far a model load has got, for a progress display: the step under way ("mapping the
// file", "packing weights", …) and, where the step counts its work, `done` of `total` (total
// 0: not counted). `step` is valid only during the call.
struct WEFT_EXPORT LoadProgress {
  std::string_view step;
  uint64_t done = 0;
  uint64_t total = 0;
};
// Called on the loading thread, at each step's start and as a counted step advances; it must
// not call back into the backend that is loading.
using LoadProgressCallback = std::function<void(const LoadProgress&)>;

struct WEFT_EXPORT LoadOptions {
  std::string model_path;                  // a GGUF file (native) or a model name (remote)
  std::optional<uint32_t> context_length;  // override the model's stored context length
  std::string chat_template_path;          // native: a Jinja file replacing the model's template
  uint32_t threads = 0;                    // 0 = number of physical cores
  int32_t gpu_layers = 0;                  // layers to offload where an accelerator exists
  bool prefix_cache = true;                // native: reuse the KV pages of prompts' common prefixes
  LoadProgressCallback progress;           // native: hears the load's steps; empty: none
};

struct WEFT_EXPORT ModelInfo {
  std::string name;
  std::string architecture;
  uint64_t parameter_count = 0;
  std::string quantization;
  uint32_t context_length = 0;
  uint32_t vocabulary_size = 0;
  bool has_chat_template = false;
};

}  // namespace weft
