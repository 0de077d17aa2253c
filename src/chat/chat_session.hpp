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

  // The slash commands: /reset, /system TEXT, /help, /quit (and /exit). Returns nullopt when
  // `line` is not a command (it is then a user turn); otherwise the text to show the user.
  // `quit` is set when the user asked to leave.
  std::optional<std::string> handle_command(std::string_view line, bool& quit);

  // Sends `user_text` with the history, streams the answer to `on_text`. `on_stream` sees the
  // stream before the first event, so that another thread can cancel it. A completed or
  // cancelled answer joins the history (a cancelled one with what had arrived); a failed
  // turn leaves the history as it was. When the conversation no longer fits the backend's
  // context, the oldest turns are dropped (the system prompt stays) until it does.
  TurnResult ask(const std::string& user_text, const std::function<void(std::string_view)>& on_text,
                 const std::function<void(GenerationStream*)>& on_stream = {});

  void reset() { history_.clear(); }
  void set_system_prompt(std::string text) { system_prompt_ = std::move(text); }
  const std::string& system_prompt() const { return system_prompt_; }
  const std::vector<Message>& history() const { return history_; }
  // What the backend receives: the system prompt (if any), then the history.
  std::vector<Message> conversation() const;

  static std::string_view help_text();

 private:
  TurnResult stream_answer(const std::function<void(std::string_view)>& on_text,
                           const std::function<void(GenerationStream*)>& on_stream);
  // Removes the oldest user message and the answer after it; returns how many were removed.
  size_t drop_oldest_turn();

  Backend& backend_;
  GenerationOptions options_;
  std::string model_;
  std::string system_prompt_;
  std::vector<Message> history_;
};

}  // namespace weft::chat
