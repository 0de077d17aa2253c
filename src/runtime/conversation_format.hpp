// How a context's text and chat turns become tokens (weft::Context::append_text/append_turn):
// the model's tokenizer and chat template, with the same rules as the native backend's
// prompts (backend/native_prompt.hpp): template text is tokenised with special-token parsing,
// message content without it, and BOS follows the vocabulary's rule.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat_template.hpp"
#include "gguf/gguf_file.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/types.hpp"

namespace weft::runtime {

class ConversationFormat {
 public:
  // The template in `template_path` when it is not empty, else the model's own; a model
  // without one gets ChatML when its vocabulary has <|im_start|> and <|im_end|>, and no
  // template otherwise. Throws weft::Error for a template that cannot be read or compiled.
  ConversationFormat(const gguf::GgufFile& file, const tokenizer::Tokenizer& tokenizer,
                     const std::string& template_path);

  // `text` alone; BOS first when `at_start` and the vocabulary asks for it.
  std::vector<tokenizer::TokenId> text(const tokenizer::Tokenizer& tokenizer, std::string_view text,
                                       bool parse_special, bool at_start) const;
  // The whole conversation rendered by the template. Throws weft::Error when the model has no
  // template or the template rejects the conversation.
  std::vector<tokenizer::TokenId> conversation(const tokenizer::Tokenizer& tokenizer,
                                               std::span<const Message> messages,
                                               bool add_generation_prompt) const;

 private:
  std::optional<chat::ChatTemplate> chat_template_;
  std::string bos_text_;
  std::string eos_text_;
};

}  // namespace weft::runtime
