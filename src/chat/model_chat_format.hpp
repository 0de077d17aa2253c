// What a GGUF model says about chatting with it: its chat template (or the documented ChatML
// fallback when it has none) and the text of its BOS and EOS tokens, which templates insert.
#pragma once

#include <string>

#include "gguf/gguf_file.hpp"

namespace weft::chat {

struct ModelChatFormat {
  std::string template_source;  // tokenizer.chat_template, or the fallback's source
  bool is_fallback = false;     // the model has no template: ChatML is used
  std::string bos_token;        // "" when the model names none
  std::string eos_token;
};

// Reads tokenizer.chat_template, tokenizer.ggml.{bos,eos}_token_id and tokenizer.ggml.tokens.
// Throws weft::Error when a token id is outside the vocabulary.
ModelChatFormat chat_format_from_gguf(const gguf::GgufFile& file);

}  // namespace weft::chat
