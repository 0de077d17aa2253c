#include "chat/chat_transcript.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/chat_settings.hpp"
#include "weft/error.hpp"

namespace weft::chat {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

constexpr int kFormatVersion = 1;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const json& required(const json& object, const char* key, const std::string& where) {
  auto found = object.find(key);
  if (found == object.end()) throw Error(where + ": the field \"" + key + "\" is missing");
  return *found;
}

std::string string_field(const json& value, const std::string& where) {
  if (!value.is_string()) throw Error(where + ": expected a string, got " + value.dump());
  return value.get<std::string>();
}

Message read_message(const json& entry, const std::string& where) {
  if (!entry.is_object()) throw Error(where + ": expected an object, got " + entry.dump());
  for (const auto& [key, value] : entry.items()) {
    if (key != "role" && key != "content")
      throw Error(where + ": unknown field \"" + key + "\" (expected role and content)");
  }
  const std::string role = string_field(required(entry, "role", where), where + ".role");
  Message message;
  if (role == "user") {
    message.role = Role::user;
  } else if (role == "assistant") {
    message.role = Role::assistant;
  } else {
    throw Error(where + ".role: expected \"user\" or \"assistant\", got \"" + role + "\"");
  }
  message.content = string_field(required(entry, "content", where), where + ".content");
  return message;
}

}  // namespace

void save_chat_transcript(const ChatTranscript& transcript, const std::string& path) {
  ordered_json messages = ordered_json::array();
  for (const auto& message : transcript.messages)
    messages.push_back(
        {{"role", std::string(to_string(message.role))}, {"content", message.content}});
  ordered_json document = {{"weft_chat", kFormatVersion},
                           {"model", transcript.model},
                           {"system", transcript.system_prompt},
                           {"settings", chat_settings_to_json(transcript.settings)},
                           {"messages", messages}};
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << document.dump(2) << "\n";
  out.close();
  if (!out) throw Error("cannot write '" + path + "'");
}

ChatTranscript load_chat_transcript(const std::string& path,
                                    const GenerationOptions& current_settings) {
  const json document = json::parse(read_file(path), nullptr, false);
  if (document.is_discarded()) throw Error(path + ": not JSON");
  if (!document.is_object()) throw Error(path + ": expected a JSON object");
  for (const auto& [key, value] : document.items()) {
    if (key != "weft_chat" && key != "model" && key != "system" && key != "settings" &&
        key != "messages")
      throw Error(path + ": unknown field \"" + key +
                  "\" (expected weft_chat, model, system, settings, messages)");
  }
  const json& version = required(document, "weft_chat", path);
  if (version != kFormatVersion)
    throw Error(path + ": weft_chat is " + version.dump() + "; this weft reads version " +
                std::to_string(kFormatVersion));
  ChatTranscript transcript;
  transcript.settings = current_settings;
  if (document.contains("model"))
    transcript.model = string_field(document["model"], path + ": model");
  if (document.contains("system"))
    transcript.system_prompt = string_field(document["system"], path + ": system");
  if (document.contains("settings"))
    apply_chat_settings_json(transcript.settings, document["settings"], path + ": settings");
  const json& messages = required(document, "messages", path);
  if (!messages.is_array()) throw Error(path + ": messages: expected an array");
  for (size_t i = 0; i < messages.size(); ++i)
    transcript.messages.push_back(
        read_message(messages[i], path + ": messages[" + std::to_string(i) + "]"));
  return transcript;
}

}  // namespace weft::chat
