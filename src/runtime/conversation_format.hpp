// How chat messages and text become prompt tokens, for the native backend's requests
// (backend/native_prompt.hpp) and weft::Context::append_text/append_turn alike: the model's
// chat template (tokenizer.chat_template, with BOS/EOS text from the vocabulary), whose own
// text is tokenised with special-token parsing on and the messages' content with it off, so
// that a user who types "<|im_end|>" gets ordinary text tokens and cannot close a turn or open
// another. BOS follows the vocabulary's rule and is never doubled when the template writes it.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chat/chat_template.hpp"
#include "chat/model_chat_format.hpp"
#include "gguf/gguf_file.hpp"
#include "tokenizer/tokenizer.hpp"
#include "weft/types.hpp"

namespace weft::runtime {

// How a model's chat is formatted (`weft inspect` reports it): its own template; ChatML when
// the model has no template but its vocabulary has <|im_start|> and <|im_end|>; otherwise no
// template at all (plain completion: a base model such as stories260K continues the text).
enum class ChatPromptStyle { model_template, chatml_fallback, plain_completion };
ChatPromptStyle chat_prompt_style(const chat::ModelChatFormat& format,
                                  const tokenizer::Tokenizer& tokenizer);

// A prompt with more tokens than the context holds (ErrorCode::prompt_too_long): a type of
// its own, so that code fitting a conversation to the context can catch it alone.
class PromptTooLong : public Error {
 public:
  explicit PromptTooLong(const std::string& message) : Error(ErrorCode::prompt_too_long, message) {}
};

// How much prompt a context can take, checked before and while tokenising: every token
// stands for at most bytes_per_token bytes of text, so a longer text has more tokens than the
// context holds and is refused before it is tokenised; a text that passes is tokenised with
// the context length as the cap (EncodeOptions::max_tokens), so the work stops soon after
// the context is full.
struct PromptLimit {
  size_t bytes_per_token = 0;  // 0: no byte bound (WordPiece)
  int64_t context_length = 0;  // 0: no limit at all

  static PromptLimit for_context(const tokenizer::Tokenizer& tokenizer, int64_t context_length);
  // Throws PromptTooLong when a prompt of `bytes` cannot fit.
  void check(size_t bytes) const;
  // The encoding cap: past it the prompt cannot fit, whatever follows (0: none).
  size_t token_cap() const { return context_length > 0 ? static_cast<size_t>(context_length) : 0; }
  // Throws PromptTooLong when an encoding capped at token_cap() went past it.
  void check_tokens(size_t count) const;
};

class ConversationFormat {
 public:
  // The template in `template_path` when it is not empty (with the model's BOS/EOS text),
  // else as chat_prompt_style says. Throws weft::Error for a template that cannot be read or
  // compiled, naming the file or the line and column.
  static ConversationFormat from_gguf(const gguf::GgufFile& file,
                                      const tokenizer::Tokenizer& tokenizer,
                                      const std::string& template_path = "");
  // This template, or none (plain completion) when nullopt.
  ConversationFormat(std::optional<chat::ChatTemplate> chat_template, std::string bos_text,
                     std::string eos_text);

  bool has_template() const { return chat_template_.has_value(); }
  // The template's Jinja source ("" without one): which tool-call syntax the model writes.
  std::string template_source() const { return chat_template_ ? chat_template_->source() : ""; }

  // `text` alone; BOS first when `at_start` and the vocabulary asks for it.
  std::vector<tokenizer::TokenId> text(const tokenizer::Tokenizer& tokenizer, std::string_view text,
                                       bool parse_special, bool at_start,
                                       const PromptLimit& limit = {}) const;
  // The whole conversation rendered by the template, with `tools_json` (a JSON array of tool
  // definitions, "" for none) as the template's `tools`. Throws weft::Error(invalid_request)
  // when the model has no template, the tools are not a JSON array, the template rejects
  // the conversation (raise_exception), or the rendering passes `limit`.
  std::vector<tokenizer::TokenId> conversation(const tokenizer::Tokenizer& tokenizer,
                                               std::span<const Message> messages,
                                               bool add_generation_prompt,
                                               const std::string& tools_json = "",
                                               const PromptLimit& limit = {}) const;

 private:
  std::optional<chat::ChatTemplate> chat_template_;
  std::string bos_text_;
  std::string eos_text_;
};

}  // namespace weft::runtime
