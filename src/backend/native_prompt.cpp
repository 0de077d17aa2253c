#include "backend/native_prompt.hpp"

#include <algorithm>
#include <string>
#include <string_view>

#include "chat/model_chat_format.hpp"
#include "chat/prompt_segments.hpp"
#include "gguf/gguf_file.hpp"
#include "weft/error.hpp"

namespace weft::backend {
namespace {

struct TextSegment {
  std::string_view text;
  bool parse_special = false;
};

// Each piece on its own (used when some content holds special-token text): special-token text
// becomes control tokens only where allowed.
std::vector<tokenizer::TokenId> encode_segments(const tokenizer::Tokenizer& tokenizer,
                                                const std::vector<TextSegment>& segments) {
  std::vector<tokenizer::TokenId> ids;
  for (const auto& segment : segments) {
    if (segment.text.empty()) continue;
    const auto piece = tokenizer.encode(segment.text, {.parse_special = segment.parse_special});
    ids.insert(ids.end(), piece.begin(), piece.end());
  }
  return ids;
}

void prepend_bos(const tokenizer::Tokenizer& tokenizer, std::vector<tokenizer::TokenId>& ids) {
  const auto bos = tokenizer.bos();
  if (!tokenizer.add_bos_by_default() || !bos) return;
  if (!ids.empty() && ids.front() == *bos) return;  // the template wrote it already
  ids.insert(ids.begin(), *bos);
}

}  // namespace

ChatPromptStyle chat_prompt_style(const chat::ModelChatFormat& format,
                                  const tokenizer::Tokenizer& tokenizer) {
  if (!format.is_fallback) return ChatPromptStyle::model_template;
  const bool has_chatml_tokens =
      tokenizer.find_piece("<|im_start|>").has_value() && tokenizer.find_piece("<|im_end|>");
  return has_chatml_tokens ? ChatPromptStyle::chatml_fallback : ChatPromptStyle::plain_completion;
}

NativePromptFormat NativePromptFormat::from_gguf(const gguf::GgufFile& file,
                                                 const tokenizer::Tokenizer& tokenizer) {
  const auto format = chat::chat_format_from_gguf(file);
  if (chat_prompt_style(format, tokenizer) == ChatPromptStyle::plain_completion) {
    return NativePromptFormat(std::nullopt, format.bos_token, format.eos_token);
  }
  return NativePromptFormat(chat::ChatTemplate(format.template_source), format.bos_token,
                            format.eos_token);
}

NativePromptFormat NativePromptFormat::from_template_file(const gguf::GgufFile& file,
                                                          const std::string& template_path) {
  auto chat_template = chat::ChatTemplate::from_file(template_path);
  const auto format = chat::chat_format_from_gguf(file);
  return NativePromptFormat(std::move(chat_template), format.bos_token, format.eos_token);
}

NativePromptFormat::NativePromptFormat(std::optional<chat::ChatTemplate> chat_template,
                                       std::string bos_text, std::string eos_text)
    : chat_template_(std::move(chat_template)),
      bos_text_(std::move(bos_text)),
      eos_text_(std::move(eos_text)) {}

std::vector<tokenizer::TokenId> NativePromptFormat::tokens(const tokenizer::Tokenizer& tokenizer,
                                                           const GenerationRequest& request) const {
  if (request.messages.empty()) {
    throw Error(ErrorCode::invalid_request, "the request has no messages: nothing to continue");
  }
  if (request.raw_prompt) {
    return tokenizer.encode(request.messages.front().content,
                            {.add_bos = tokenizer.add_bos_by_default()});
  }
  if (chat_template_) return templated(tokenizer, request);
  std::string text;
  bool first = true;
  for (const auto& message : request.messages) {
    if (message.role != Role::user) continue;
    if (!first) text += '\n';
    text += message.content;
    first = false;
  }
  return tokenizer.encode(text, {.add_bos = tokenizer.add_bos_by_default()});
}

std::vector<tokenizer::TokenId> NativePromptFormat::templated(
    const tokenizer::Tokenizer& tokenizer, const GenerationRequest& request) const {
  chat::ChatRenderInput input;
  for (const auto& message : request.messages) {
    input.messages.push_back(
        {{"role", std::string(to_string(message.role))}, {"content", message.content}});
  }
  input.add_generation_prompt = true;
  input.bos_token = bos_text_;
  input.eos_token = eos_text_;
  // Template text may name control tokens; what came from message content may not.
  const auto rendered = chat::render_prompt_segments(*chat_template_, input);
  std::vector<TextSegment> segments;
  segments.reserve(rendered.size());
  for (const auto& segment : rendered) segments.push_back({segment.text, !segment.from_content});
  // When no content holds special-token text, the whole text is tokenised at once, exactly
  // as the rendering would be; otherwise piece by piece, so that the content stays text.
  const auto holds_special_text = [&](const TextSegment& segment) {
    return !segment.parse_special && tokenizer.encode(segment.text, {.parse_special = true}) !=
                                         tokenizer.encode(segment.text, {.parse_special = false});
  };
  std::vector<tokenizer::TokenId> ids;
  if (std::none_of(segments.begin(), segments.end(), holds_special_text)) {
    std::string whole;
    for (const auto& segment : segments) whole += segment.text;
    ids = tokenizer.encode(whole, {.parse_special = true});
  } else {
    ids = encode_segments(tokenizer, segments);
  }
  prepend_bos(tokenizer, ids);
  return ids;
}

}  // namespace weft::backend
