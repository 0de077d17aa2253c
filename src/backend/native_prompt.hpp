// Turns a GenerationRequest into the prompt token ids the native engine continues.
//
// Chat requests go through the model's chat template (tokenizer.chat_template, with BOS/EOS
// text from the vocabulary and add_generation_prompt). The template's own text is tokenised
// with special-token parsing on, the messages' content with it off, so a user who types
// "<|im_end|>" gets ordinary text tokens and cannot close a turn or open another.
#pragma once

#include <optional>
#include <vector>

#include "chat/chat_template.hpp"
#include "chat/model_chat_format.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/types.hpp"

namespace weft::gguf {
class GgufFile;
}

namespace weft::backend {

// How the native backend turns a chat request into a prompt for a model (`weft inspect`
// reports it): the model's own template; ChatML when the model has no template but its
// vocabulary has <|im_start|> and <|im_end|>; otherwise plain completion (the user text).
enum class ChatPromptStyle { model_template, chatml_fallback, plain_completion };
ChatPromptStyle chat_prompt_style(const chat::ModelChatFormat& format,
                                  const tokenizer::Tokenizer& tokenizer);

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
                                               const std::string& template_path);
  // For tests and overrides: this template, or plain completion when nullopt.
  NativePromptFormat(std::optional<chat::ChatTemplate> chat_template, std::string bos_text,
                     std::string eos_text);

  // raw_prompt: messages[0].content as it is. Plain completion: the user messages joined by
  // newlines. BOS follows the vocabulary's rule (never doubled when the template writes it).
  // Throws weft::Error(invalid_request) for a request without messages or one the template
  // rejects (raise_exception).
  std::vector<tokenizer::TokenId> tokens(const tokenizer::Tokenizer& tokenizer,
                                         const GenerationRequest& request) const;

  bool uses_template() const { return chat_template_.has_value(); }

 private:
  std::vector<tokenizer::TokenId> templated(const tokenizer::Tokenizer& tokenizer,
                                            const GenerationRequest& request) const;

  std::optional<chat::ChatTemplate> chat_template_;
  std::string bos_text_;
  std::string eos_text_;
};

}  // namespace weft::backend
