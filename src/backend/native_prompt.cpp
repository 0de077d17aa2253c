#include "backend/native_prompt.hpp"

#include <string>

#include "gguf/gguf_file.hpp"
#include "weft/error.hpp"

namespace weft::backend {

NativePromptFormat NativePromptFormat::from_gguf(const gguf::GgufFile& file,
                                                 const tokenizer::Tokenizer& tokenizer) {
  return NativePromptFormat(runtime::ConversationFormat::from_gguf(file, tokenizer));
}

NativePromptFormat NativePromptFormat::from_template_file(const gguf::GgufFile& file,
                                                          const tokenizer::Tokenizer& tokenizer,
                                                          const std::string& template_path) {
  return NativePromptFormat(runtime::ConversationFormat::from_gguf(file, tokenizer, template_path));
}

NativePromptFormat::NativePromptFormat(std::optional<chat::ChatTemplate> chat_template,
                                       std::string bos_text, std::string eos_text)
    : format_(std::move(chat_template), std::move(bos_text), std::move(eos_text)) {}

std::vector<tokenizer::TokenId> NativePromptFormat::tokens(
    const tokenizer::Tokenizer& tokenizer, const GenerationRequest& request,
    const runtime::PromptLimit& limit) const {
  if (request.messages.empty()) {
    throw Error(ErrorCode::invalid_request, "the request has no messages: nothing to continue");
  }
  if (request.raw_prompt) {
    return format_.text(tokenizer, request.messages.front().content, false, true, limit);
  }
  if (format_.has_template()) {
    return format_.conversation(tokenizer, request.messages, true, request.tools_json, limit);
  }
  size_t bytes = 0;
  size_t users = 0;
  for (const auto& message : request.messages) {
    if (message.role != Role::user) continue;
    bytes += message.content.size();
    ++users;
  }
  limit.check(bytes + (users > 0 ? users - 1 : 0));  // before the copy below
  std::string text;
  bool first = true;
  for (const auto& message : request.messages) {
    if (message.role != Role::user) continue;
    if (!first) text += '\n';
    text += message.content;
    first = false;
  }
  return format_.text(tokenizer, text, false, true, limit);
}

}  // namespace weft::backend
