// A model's chat template: the Jinja program that turns a conversation into the prompt text
// the model was trained on. Compiled once; rendered per request exactly as Hugging Face's
// apply_chat_template does (trim_blocks, lstrip_blocks, loop controls, tojson keeping
// non-ASCII, raise_exception, strftime_now).
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "chat/jinja/interpreter.hpp"
#include "chat/jinja/template.hpp"

namespace weft::chat {

struct ChatRenderInput {
  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  // Tool definitions; null leaves `tools` undefined in the template, as when none are given.
  nlohmann::ordered_json tools = nullptr;
  bool add_generation_prompt = true;
  std::string bos_token;
  std::string eos_token;
  // More template variables (e.g. {"enable_thinking": false}); must be an object or null.
  nlohmann::ordered_json extra_context = nullptr;
  // What strftime_now() formats; unset means the current local time.
  std::optional<std::tm> now;
  jinja::RenderLimits limits;
};

// What strftime_now() formats when ChatRenderInput::now is unset.
std::tm current_local_time();

class ChatTemplate {
 public:
  // Compiles `source`; throws jinja::TemplateError (syntax, with line and column).
  explicit ChatTemplate(std::string source);

  // The template used for a model without one: ChatML (<|im_start|>role\ncontent<|im_end|>\n),
  // which most instruction-tuned small models understand.
  static ChatTemplate fallback();
  // Reads and compiles the Jinja file at `path` (--chat-template). Throws weft::Error
  // (invalid_request) naming the file when it cannot be read or does not compile (with
  // line:column).
  static ChatTemplate from_file(const std::string& path);
  static std::string_view fallback_source();

  // Throws jinja::TemplateError: for a template's own raise_exception(msg) the message is
  // exactly msg; other errors name line and column. Throws weft::Error for malformed input
  // (messages not an array, extra_context not an object).
  std::string render(const ChatRenderInput& input) const;

  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::shared_ptr<const jinja::Template> compiled_;
};

}  // namespace weft::chat
