#include "chat/chat_session.hpp"

#include <algorithm>

#include "weft/error.hpp"

namespace weft::chat {

ChatSession::ChatSession(Backend& backend, GenerationOptions options, std::string model)
    : backend_(backend), options_(std::move(options)), model_(std::move(model)) {}

void ChatSession::set_context_window(uint32_t tokens, PromptTokenCounter count) {
  context_tokens_ = tokens;
  count_prompt_tokens_ = std::move(count);
}

std::vector<Message> ChatSession::conversation() const {
  std::vector<Message> messages;
  if (!system_prompt_.empty()) messages.push_back({Role::system, system_prompt_});
  messages.insert(messages.end(), history_.begin(), history_.end());
  return messages;
}

TurnResult ChatSession::ask(const std::string& user_text,
                            const std::function<void(std::string_view)>& on_text,
                            const std::function<void(GenerationStream*)>& on_stream) {
  const auto kept = history_;
  history_.push_back({Role::user, user_text});
  size_t dropped = fit_to_context();
  TurnResult result = stream_answer(on_text, on_stream);
  // A backend that cannot count tokens beforehand (an external engine) says so afterwards.
  while (refused_as_too_long(result) && history_.size() > 1) {
    dropped += drop_oldest_turn();
    result = stream_answer(on_text, on_stream);
  }
  if (std::holds_alternative<ErrorEvent>(result.terminal)) {
    history_ = kept;
    return result;
  }
  history_.push_back({Role::assistant, result.text});
  result.dropped_messages = dropped;
  return result;
}

GenerationRequest ChatSession::request() const {
  GenerationRequest request;
  request.messages = conversation();
  request.model = model_;
  request.options = options_;
  return request;
}

size_t ChatSession::fit_to_context() {
  if (context_tokens_ == 0 || !count_prompt_tokens_) return 0;
  const size_t answer_room = std::min<size_t>(options_.max_tokens, context_tokens_ / 4);
  size_t dropped = 0;
  try {
    while (history_.size() > 1 && count_prompt_tokens_(request()) + answer_room > context_tokens_) {
      dropped += drop_oldest_turn();
    }
  } catch (const Error&) {
    // A request the counter refuses (a template error) is reported by the generation itself.
  }
  return dropped;
}

bool ChatSession::refused_as_too_long(const TurnResult& result) {
  const auto* error = std::get_if<ErrorEvent>(&result.terminal);
  return error && error->code == ErrorCode::prompt_too_long && result.text.empty();
}

TurnResult ChatSession::stream_answer(const std::function<void(std::string_view)>& on_text,
                                      const std::function<void(GenerationStream*)>& on_stream) {
  auto stream = backend_.generate(request());
  if (on_stream) on_stream(&stream);
  TurnResult result;
  while (auto event = stream.next()) {
    if (auto* token = std::get_if<TokenEvent>(&*event)) {
      result.text += token->text;
      if (on_text) on_text(token->text);
      continue;
    }
    result.terminal = *event;
  }
  if (on_stream) on_stream(nullptr);
  return result;
}

size_t ChatSession::drop_oldest_turn() {
  size_t count = 1;
  if (history_.size() > 2 && history_[1].role == Role::assistant) count = 2;
  history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(count));
  return count;
}

}  // namespace weft::chat
