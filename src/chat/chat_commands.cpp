// `weft chat`'s slash commands (ChatSession::handle_command and help_text).
#include "chat/chat_session.hpp"
#include "chat/chat_settings.hpp"
#include "chat/chat_transcript.hpp"
#include "weft/error.hpp"

namespace weft::chat {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

// Splits "NAME REST" at the first blank; REST trimmed.
std::pair<std::string_view, std::string_view> split_word(std::string_view text) {
  size_t space = text.find_first_of(" \t");
  if (space == std::string_view::npos) return {text, {}};
  return {text.substr(0, space), trim(text.substr(space))};
}

}  // namespace

std::string_view ChatSession::help_text() {
  return "commands:\n"
         "  /set                 show the settings\n"
         "  /set NAME VALUE      temperature, top_p, top_k, min_p, repeat_penalty, seed,\n"
         "                       max_tokens (or num_predict)\n"
         "  /set system TEXT     set the system prompt (an empty TEXT removes it; also /system)\n"
         "  /show                the model, its context length and the settings\n"
         "  /clear               forget the conversation (the system prompt stays; also /reset)\n"
         "  /save FILE           write the conversation and settings to FILE (JSON)\n"
         "  /load FILE           continue the conversation saved in FILE\n"
         "  /bye                 leave (also /exit, /quit and Ctrl-D)\n"
         "  /help                this list\n"
         "A line starting with \"\"\" begins a message of several lines; one ending with \"\"\" "
         "ends it.\n"
         "Ctrl-C stops the answer being written; Ctrl-C twice at the prompt leaves.";
}

std::optional<std::string> ChatSession::handle_command(std::string_view line, bool& quit) {
  quit = false;
  std::string_view text = trim(line);
  if (text.empty() || text.front() != '/') return std::nullopt;
  auto [command, argument] = split_word(text);
  if (command == "/clear" || command == "/reset") {
    reset();
    return std::string("(conversation cleared)");
  }
  if (command == "/system") return set_command("system " + std::string(argument));
  if (command == "/set") return set_command(argument);
  if (command == "/show") return show();
  if (command == "/save") return save_command(argument);
  if (command == "/load") return load_command(argument);
  if (command == "/bye" || command == "/quit" || command == "/exit") {
    quit = true;
    return std::string();
  }
  if (command == "/help" || command == "/?") return std::string(help_text());
  return "unknown command " + std::string(command) + " (try /help)";
}

std::string ChatSession::set_command(std::string_view argument) {
  if (argument.empty()) return "settings:\n" + describe_settings();
  auto [name, value] = split_word(argument);
  if (name == "system") {
    set_system_prompt(std::string(value));
    return std::string(value.empty() ? "(system prompt removed)" : "(system prompt set)");
  }
  if (auto problem = set_chat_setting(options_, name, value)) return *problem;
  std::string done = "(";
  done.append(name).append(" set to ").append(value).append(")");
  return done;
}

std::string ChatSession::describe_settings() const {
  std::string text = describe_chat_settings(options_);
  text += "  system ";
  if (system_prompt_.empty()) return text + "(none)";
  text += '"';
  text += system_prompt_;
  text += '"';
  return text;
}

std::string ChatSession::show() const {
  std::string text;
  try {
    const ModelInfo info = backend_.model_info();
    text +=
        "model: " + (info.name.empty() ? (model_.empty() ? "(the backend's)" : model_) : info.name);
    if (!info.architecture.empty()) text += " (" + info.architecture + ")";
    text += "\nbackend: " + backend_.name();
    text += "\ncontext length: " + (info.context_length
                                        ? std::to_string(info.context_length) + " tokens"
                                        : std::string("(the backend's)"));
  } catch (const Error& error) {
    text += "model: (unknown: " + std::string(error.what()) + ")";
  }
  text += "\nturns so far: " + std::to_string(history_.size()) + " messages\n";
  return text + "settings:\n" + describe_settings();
}

std::string ChatSession::save_command(std::string_view path) const {
  if (path.empty()) return "/save needs a file name: /save FILE";
  ChatTranscript transcript{model_, system_prompt_, options_, history_};
  try {
    save_chat_transcript(transcript, std::string(path));
  } catch (const Error& error) {
    return "cannot save: " + std::string(error.what());
  }
  return "(saved " + std::to_string(history_.size()) + " messages to " + std::string(path) + ")";
}

std::string ChatSession::load_command(std::string_view path) {
  if (path.empty()) return "/load needs a file name: /load FILE";
  ChatTranscript transcript;
  try {
    transcript = load_chat_transcript(std::string(path), options_);
  } catch (const Error& error) {
    return "cannot load: " + std::string(error.what());
  }
  options_ = transcript.settings;
  system_prompt_ = transcript.system_prompt;
  history_ = std::move(transcript.messages);
  return "(loaded " + std::to_string(history_.size()) + " messages from " + std::string(path) + ")";
}

}  // namespace weft::chat
