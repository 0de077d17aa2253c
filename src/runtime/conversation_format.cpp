#include "runtime/conversation_format.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "chat/prompt_segments.hpp"
#include "tokenizer/pre_tokenizer.hpp"
#include "tokenizer/vocab_tokenizer.hpp"
#include "weft/error.hpp"

namespace weft::runtime {
namespace {

// A message as Hugging Face chat templates read it: assistant tool calls carry their
// arguments as an object (templates apply tojson to them), tool results their call id.
nlohmann::ordered_json template_message(const Message& message) {
  nlohmann::ordered_json out = {{"role", std::string(to_string(message.role))},
                                {"content", message.content}};
  if (!message.name.empty()) out["name"] = message.name;
  if (!message.tool_call_id.empty()) out["tool_call_id"] = message.tool_call_id;
  if (!message.tool_calls.empty()) {
    auto calls = nlohmann::ordered_json::array();
    for (const auto& call : message.tool_calls) {
      auto arguments = nlohmann::ordered_json::parse(call.arguments_json, nullptr, false);
      if (arguments.is_discarded()) arguments = call.arguments_json;
      nlohmann::ordered_json entry = {
          {"type", "function"},
          {"function", {{"name", call.name}, {"arguments", std::move(arguments)}}}};
      if (!call.id.empty()) entry["id"] = call.id;
      calls.push_back(std::move(entry));
    }
    out["tool_calls"] = std::move(calls);
  }
  return out;
}

nlohmann::ordered_json template_tools(const std::string& tools_json) {
  if (tools_json.empty()) return nullptr;
  auto tools = nlohmann::ordered_json::parse(tools_json, nullptr, false);
  if (!tools.is_array()) {
    throw Error(ErrorCode::invalid_request, "the tool definitions must be a JSON array");
  }
  return tools;
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

ConversationFormat ConversationFormat::from_gguf(const gguf::GgufFile& file,
                                                 const tokenizer::Tokenizer& tokenizer,
                                                 const std::string& template_path) {
  const auto format = chat::chat_format_from_gguf(file);
  if (!template_path.empty()) {
    return ConversationFormat(chat::ChatTemplate::from_file(template_path), format.bos_token,
                              format.eos_token);
  }
  if (chat_prompt_style(format, tokenizer) == ChatPromptStyle::plain_completion) {
    return ConversationFormat(std::nullopt, format.bos_token, format.eos_token);
  }
  return ConversationFormat(chat::ChatTemplate(format.template_source), format.bos_token,
                            format.eos_token);
}

ConversationFormat::ConversationFormat(std::optional<chat::ChatTemplate> chat_template,
                                       std::string bos_text, std::string eos_text)
    : chat_template_(std::move(chat_template)),
      bos_text_(std::move(bos_text)),
      eos_text_(std::move(eos_text)) {}

// A token matches its piece (special tokens, SentencePiece's 3-byte "▁" for a 1-byte space,
// byte-level BPE's 1- or 2-byte stand-in for each byte) or gives its bytes, so it never stands
// for more input than the longer of the two; an unknown character (one <unk>) is at most 4
// bytes. NFC composes at most three characters into one of a third their bytes (Hangul
// L+V+T), so a normalising vocabulary gets 4 times that. WordPiece drops whitespace and maps
// whole words to [UNK]: no bound, no limit.
PromptLimit PromptLimit::for_context(const tokenizer::Tokenizer& tokenizer,
                                     int64_t context_length) {
  const std::string_view model = tokenizer.model_name();
  if (model != "llama" && model != "gpt2") return {0, context_length};
  size_t longest = 4;
  for (tokenizer::TokenId id = 0; id < tokenizer.vocab_size(); ++id) {
    longest = std::max({longest, tokenizer.piece(id).size(), tokenizer.token_bytes(id).size()});
  }
  const auto* vocabulary = dynamic_cast<const tokenizer::VocabTokenizer*>(&tokenizer);
  const bool composes =
      model == "gpt2" &&
      (!vocabulary || tokenizer::PreTokenizer::for_name(vocabulary->vocab().pre).normalizes_nfc());
  return {composes ? longest * 4 : longest, context_length};
}

void PromptLimit::check(size_t bytes) const {
  if (bytes_per_token == 0 || context_length <= 0) return;
  const auto most = static_cast<uint64_t>(bytes_per_token) * static_cast<uint64_t>(context_length);
  if (bytes <= most) return;
  throw PromptTooLong("the prompt is " + std::to_string(bytes) + " bytes: with at most " +
                      std::to_string(bytes_per_token) + " bytes per token it has more than " +
                      std::to_string(context_length) + " tokens, the context length; shorten it");
}

void PromptLimit::check_tokens(size_t count) const {
  if (context_length <= 0 || count <= static_cast<size_t>(context_length)) return;
  // Worded as the generator's refusal of a prompt it counted (runtime/generator.cpp).
  throw PromptTooLong("the prompt has more than " + std::to_string(context_length) +
                      " tokens but the context holds only " + std::to_string(context_length) +
                      "; shorten it");
}

std::vector<tokenizer::TokenId> ConversationFormat::text(const tokenizer::Tokenizer& tokenizer,
                                                         std::string_view text, bool parse_special,
                                                         bool at_start,
                                                         const PromptLimit& limit) const {
  limit.check(text.size());
  auto ids = tokenizer.encode(text, {.add_bos = at_start && tokenizer.add_bos_by_default(),
                                     .parse_special = parse_special,
                                     .max_tokens = limit.token_cap()});
  limit.check_tokens(ids.size());
  return ids;
}

std::vector<tokenizer::TokenId> ConversationFormat::conversation(
    const tokenizer::Tokenizer& tokenizer, std::span<const Message> messages,
    bool add_generation_prompt, const std::string& tools_json, const PromptLimit& limit) const {
  if (!chat_template_) {
    throw Error(ErrorCode::invalid_request,
                "the model has no chat template (and no <|im_start|>/<|im_end|> tokens for "
                "ChatML): append text instead, or give a template file");
  }
  chat::ChatRenderInput input;
  for (const auto& message : messages) input.messages.push_back(template_message(message));
  input.tools = template_tools(tools_json);
  input.add_generation_prompt = add_generation_prompt;
  input.bos_token = bos_text_;
  input.eos_token = eos_text_;
  std::vector<chat::PromptSegment> segments;
  try {
    segments = chat::render_prompt_segments(*chat_template_, input);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& error) {
    throw Error(ErrorCode::invalid_request,
                std::string("the chat template cannot render the conversation: ") + error.what());
  }
  size_t rendered_bytes = 0;
  for (const auto& segment : segments) rendered_bytes += segment.text.size();
  limit.check(rendered_bytes);
  // Every encoding is capped at the context: one that passes the cap refuses the prompt
  // at once (a part longer than the context makes the whole longer).
  const auto encode = [&](std::string_view text, bool parse_special) {
    auto ids =
        tokenizer.encode(text, {.parse_special = parse_special, .max_tokens = limit.token_cap()});
    limit.check_tokens(ids.size());
    return ids;
  };
  // When no content holds special-token text, the whole rendering is tokenised at once, as it
  // would be on its own; otherwise piece by piece, so that content stays text.
  const auto holds_special_text = [&](const chat::PromptSegment& segment) {
    return segment.from_content && encode(segment.text, true) != encode(segment.text, false);
  };
  std::vector<tokenizer::TokenId> ids;
  if (std::none_of(segments.begin(), segments.end(), holds_special_text)) {
    std::string whole;
    for (const auto& segment : segments) whole += segment.text;
    ids = encode(whole, true);
  } else {
    for (const auto& segment : segments) {
      const auto piece = encode(segment.text, !segment.from_content);
      ids.insert(ids.end(), piece.begin(), piece.end());
      limit.check_tokens(ids.size());
    }
  }
  prepend_bos(tokenizer, ids);
  limit.check_tokens(ids.size());
  return ids;
}

}  // namespace weft::runtime
