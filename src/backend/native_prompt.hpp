// Turns a GenerationRequest into the prompt token ids the native engine continues: chat
// requests through the model's chat template with add_generation_prompt, by the rules of
// runtime::ConversationFormat (template text parses special tokens, message content never).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "chat/chat_template.hpp"
#include "runtime/conversation_format.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/types.hpp"

namespace weft::gguf {
class GgufFile;
}

namespace weft::backend {

class NativePromptFormat {
 public:
  // The model's template; a model without one gets ChatML when its vocabulary has the
  // <|im_start|> and <|im_end|> tokens, and plain completion otherwise (a base model such as
  // stories260K continues the user's text). A template that does not compile is an error
  // naming its line and column.
  static NativePromptFormat from_gguf(const gguf::GgufFile& file,
                                      const tokenizer::Tokenizer& tokenizer);
  // The template in `template_path` (--chat-template) instead of the model's own, with the
  // model's BOS/EOS text. Throws weft::Error naming the file when it cannot be read or
  // compiled.
  static NativePromptFormat from_template_file(const gguf::GgufFile& file,
                                               const tokenizer::Tokenizer& tokenizer,
                                               const std::string& template_path);
  // For tests and overrides: this template, or plain completion when nullopt.
  NativePromptFormat(std::optional<chat::ChatTemplate> chat_template, std::string bos_text,
                     std::string eos_text);

  // raw_prompt: messages[0].content as it is. Plain completion: the user messages joined by
  // newlines. BOS follows the vocabulary's rule (never doubled when the template writes it).
  // Throws weft::Error(invalid_request) for a request without messages or one the template
  // rejects (raise_exception), and for one whose text passes `limit` (checked before any
  // tokenising, so that a huge prompt costs no more than its copy).
  std::vector<tokenizer::TokenId> tokens(const tokenizer::Tokenizer& tokenizer,
                                         const GenerationRequest& request,
                                         const runtime::PromptLimit& limit = {}) const;

  bool uses_template() const { return format_.has_template(); }
  std::string template_source() const { return format_.template_source(); }

 private:
  explicit NativePromptFormat(runtime::ConversationFormat format) : format_(std::move(format)) {}

  runtime::ConversationFormat format_;
};

}  // namespace weft::backend
