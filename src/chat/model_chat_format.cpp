#include "chat/model_chat_format.hpp"

#include "chat/chat_template.hpp"
#include "weft/error.hpp"

namespace weft::chat {
namespace {

std::string token_text(const gguf::GgufFile& file, const std::vector<std::string>* tokens,
                       const char* id_key) {
  auto id = file.get_uint(id_key);
  if (!id || !tokens) return {};
  // 0xFFFFFFFF is how converters spell "no such token".
  if (*id == 0xFFFFFFFFull) return {};
  if (*id >= tokens->size()) {
    throw Error(std::string(id_key) + " = " + std::to_string(*id) +
                " is outside the vocabulary of " + std::to_string(tokens->size()) + " tokens in " +
                file.path());
  }
  return (*tokens)[*id];
}

}  // namespace

ModelChatFormat chat_format_from_gguf(const gguf::GgufFile& file) {
  ModelChatFormat format;
  if (auto source = file.get_string("tokenizer.chat_template"); source && !source->empty()) {
    format.template_source = std::move(*source);
  } else {
    format.template_source = std::string(ChatTemplate::fallback_source());
    format.is_fallback = true;
  }
  auto tokens = file.get_string_array("tokenizer.ggml.tokens");
  const std::vector<std::string>* vocabulary = tokens ? &*tokens : nullptr;
  format.bos_token = token_text(file, vocabulary, "tokenizer.ggml.bos_token_id");
  format.eos_token = token_text(file, vocabulary, "tokenizer.ggml.eos_token_id");
  return format;
}

}  // namespace weft::chat
