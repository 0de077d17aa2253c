#include "chat/chat_session.hpp"

namespace weft::chat {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// A prompt longer than the context is refused before any token is generated, with the
// generator's "the prompt has N tokens but the context holds only M" (runtime/generator.cpp;
// the native and process backends both run it).
bool refused_as_too_long(const TurnResult& result) {
  const auto* error = std::get_if<ErrorEvent>(&result.terminal);
  return error && result.text.empty() &&
         error->message.find("but the context holds only") != std::string::npos;
}

}  // namespace

ChatSession::ChatSession(Backend& backend, GenerationOptions options, std::string model)
    : backend_(backend), options_(std::move(options)), model_(std::move(model)) {}

std::string_view ChatSession::help_text() {
  return "commands:\n"
         "  /system TEXT  set the system prompt (an empty TEXT removes it)\n"
         "  /reset        forget the conversation (the system prompt stays)\n"
         "  /quit         leave (as does Ctrl-D)\n"
         "  /help         this list\n"
         "Ctrl-C stops the answer being written; Ctrl-C twice at the prompt leaves.";
}

std::optional<std::string> ChatSession::handle_command(std::string_view line, bool& quit) {
  quit = false;
  std::string_view text = trim(line);
  if (text.empty() || text.front() != '/') return std::nullopt;
  size_t space = text.find_first_of(" \t");
  std::string_view command = text.substr(0, space);
  std::string_view argument =
      space == std::string_view::npos ? std::string_view() : trim(text.substr(space));
  if (command == "/reset") {
    reset();
    return std::string("(conversation cleared)");
  }
  if (command == "/system") {
    set_system_prompt(std::string(argument));
    return std::string(argument.empty() ? "(system prompt removed)" : "(system prompt set)");
  }
  if (command == "/quit" || command == "/exit") {
    quit = true;
    return std::string();
  }
  if (command == "/help") return std::string(help_text());
  return "unknown command " + std::string(command) + " (try /help)";
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
  size_t dropped = 0;
  TurnResult result = stream_answer(on_text, on_stream);
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

TurnResult ChatSession::stream_answer(const std::function<void(std::string_view)>& on_text,
                                      const std::function<void(GenerationStream*)>& on_stream) {
  GenerationRequest request;
  request.messages = conversation();
  request.model = model_;
  request.options = options_;
  auto stream = backend_.generate(request);
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
