#include "chat/chat_template.hpp"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "weft/error.hpp"

namespace weft::chat {
namespace {

// ChatML. Content that is not a string (a tool result given as an object) is written as JSON.
constexpr std::string_view kChatMl =
    "{%- for message in messages -%}\n"
    "{{- '<|im_start|>' ~ message['role'] ~ '\\n' -}}\n"
    "{%- if message['content'] is string -%}{{- message['content'] -}}\n"
    "{%- elif message['content'] is defined and message['content'] is not none -%}"
    "{{- message['content'] | tojson -}}{%- endif -%}\n"
    "{{- '<|im_end|>\\n' -}}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}\n";

}  // namespace

std::tm current_local_time() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  return local;
}

ChatTemplate::ChatTemplate(std::string source)
    : source_(std::move(source)), compiled_(std::make_shared<jinja::Template>(source_)) {}

ChatTemplate ChatTemplate::fallback() {
  return ChatTemplate(std::string(kChatMl));
}

ChatTemplate ChatTemplate::from_file(const std::string& path) {
  auto unreadable = [&](const std::string& why) {
    return Error(ErrorCode::invalid_request, "cannot read chat template file " + path + ": " + why);
  };
  std::error_code ignored;
  // A directory opens as a stream but reads nothing: it must not pass as an empty template.
  if (std::filesystem::is_directory(path, ignored)) throw unreadable("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw unreadable(std::filesystem::exists(path, ignored) ? "permission denied or I/O error"
                                                            : "no such file");
  std::ostringstream source;
  source << in.rdbuf();
  try {
    return ChatTemplate(source.str());
  } catch (const Error& error) {
    throw Error(ErrorCode::invalid_request, path + ": " + error.what());
  }
}

std::string_view ChatTemplate::fallback_source() {
  return kChatMl;
}

std::string ChatTemplate::render(const ChatRenderInput& input) const {
  if (!input.messages.is_array()) throw Error("chat request: \"messages\" must be an array");
  if (!input.tools.is_null() && !input.tools.is_array())
    throw Error("chat request: \"tools\" must be an array");
  if (!input.extra_context.is_null() && !input.extra_context.is_object()) {
    throw Error("chat request: extra template variables must be a JSON object");
  }
  jinja::Dict variables;
  if (input.extra_context.is_object()) {
    for (const auto& [key, value] : input.extra_context.items())
      variables.set(key, jinja::Value::from_json(value));
  }
  variables.set("messages", jinja::Value::from_json(input.messages));
  if (!input.tools.is_null()) variables.set("tools", jinja::Value::from_json(input.tools));
  variables.set("add_generation_prompt", jinja::Value(input.add_generation_prompt));
  variables.set("bos_token", jinja::Value(input.bos_token));
  variables.set("eos_token", jinja::Value(input.eos_token));

  jinja::RenderOptions options;
  options.now = input.now ? *input.now : current_local_time();
  options.limits = input.limits;
  return compiled_->render(variables, options);
}

}  // namespace weft::chat
