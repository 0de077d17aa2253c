// A multi-turn conversation over any Backend: the history, the system prompt, the slash
// commands of `weft chat`, and one streamed answer at a time that can be cancelled.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/backend.hpp"

namespace weft::chat {

// Counts the tokens a request's prompt becomes (the native backend can: NativeBackend::
// prompt_tokens), so that the session fits the conversation to the context before sending.
using PromptTokenCounter = std::function<size_t(const GenerationRequest&)>;

struct TurnResult {
  std::string text;  // the answer as streamed (partial when cancelled)
  Event terminal;    // DoneEvent or ErrorEvent
  // Messages of the oldest turns dropped from the history so that this turn's prompt fit the
  // context.
  size_t dropped_messages = 0;
};

class ChatSession {
 public:
  ChatSession(Backend& backend, GenerationOptions options, std::string model = {});

  // The slash commands (help_text(); chat_commands.cpp). Returns nullopt when `line` is not a
  // command (it is then a user turn); otherwise the text to show the user. `quit` is set when
  // the user asked to leave. A command that fails (a bad /set value, an unreadable /load
  // file) says so in the text and changes nothing.
  std::optional<std::string> handle_command(std::string_view line, bool& quit);

  // The context holds `tokens`; `count` measures a request. From then on each turn leaves out
  // the oldest turns until the prompt and room for the answer (max_tokens, at most a quarter
  // of the context) fit. Without a window (backends that cannot count) the conversation is
  // sent whole; when the backend refuses it as prompt_too_long, the oldest turns are left out
  // one at a time until it is taken or only the new message is left.
  void set_context_window(uint32_t tokens, PromptTokenCounter count);

  // Sends `user_text` with the history, streams the answer to `on_text`. `on_stream` sees the
  // stream before the first event, so that another thread can cancel it. A completed or
  // cancelled answer joins the history (a cancelled one with what had arrived); a failed
  // turn leaves the history as it was. When the conversation no longer fits the backend's
  // context, the oldest turns are dropped (the system prompt stays) until it does.
  TurnResult ask(const std::string& user_text, const std::function<void(std::string_view)>& on_text,
                 const std::function<void(GenerationStream*)>& on_stream = {});

  void reset() { history_.clear(); }
  void set_history(std::vector<Message> history) { history_ = std::move(history); }
  GenerationOptions& options() { return options_; }
  const GenerationOptions& options() const { return options_; }
  void set_system_prompt(std::string text) { system_prompt_ = std::move(text); }
  const std::string& system_prompt() const { return system_prompt_; }
  const std::vector<Message>& history() const { return history_; }
  // What the backend receives: the system prompt (if any), then the history.
  std::vector<Message> conversation() const;

  static std::string_view help_text();

 private:
  TurnResult stream_answer(const std::function<void(std::string_view)>& on_text,
                           const std::function<void(GenerationStream*)>& on_stream);
  GenerationRequest request() const;
  // Drops the oldest turns until the conversation fits the context window; returns the number
  // of messages dropped.
  size_t fit_to_context();
  // Removes the oldest user message and the answer after it; returns how many were removed.
  size_t drop_oldest_turn();
  static bool refused_as_too_long(const TurnResult& result);
  std::string show() const;
  std::string describe_settings() const;
  std::string set_command(std::string_view argument);
  std::string save_command(std::string_view path) const;
  std::string load_command(std::string_view path);

  Backend& backend_;
  GenerationOptions options_;
  std::string model_;
  std::string system_prompt_;
  std::vector<Message> history_;
  uint32_t context_tokens_ = 0;
  PromptTokenCounter count_prompt_tokens_;
};

}  // namespace weft::chat
