#include "backend/remote_json.hpp"

#include "weft/error.hpp"

namespace weft::backend {
namespace {

using nlohmann::json;

std::string trimmed(std::string text) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!text.empty() && is_space(text.back())) text.pop_back();
  size_t start = 0;
  while (start < text.size() && is_space(text[start])) ++start;
  return text.substr(start);
}

}  // namespace

json parse_reply_json(std::string_view text, std::string_view label, std::string_view what) {
  try {
    return json::parse(text);
  } catch (const json::exception& error) {
    throw Error(ErrorCode::internal, std::string(label) + ": " + std::string(what) +
                                         " is not valid JSON: " + error.what());
  }
}

uint32_t unsigned_count(const json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_number_unsigned()) return 0;
  return static_cast<uint32_t>(found->get<uint64_t>());
}

std::string error_body_message(
    const std::string& body,
    const std::function<std::optional<std::string>(const json& object)>& from_object) {
  try {
    json object = json::parse(body);
    if (object.is_object()) {
      if (auto message = from_object(object)) return *message;
    }
  } catch (const json::exception&) {
    // not JSON: the body itself is the best message there is
  }
  std::string text = trimmed(body);
  return text.empty() ? "(empty body)" : text.substr(0, 500);
}

std::vector<std::string> names_in_list(const std::string& body, std::string_view label,
                                       std::string_view what, const char* array_key,
                                       std::initializer_list<const char*> name_keys) {
  json object = parse_reply_json(body, label, what);
  auto list = object.is_object() ? object.find(array_key) : object.end();
  if (list == object.end() || !list->is_array()) {
    throw Error(ErrorCode::internal, std::string(label) + ": " + std::string(what) + " has no \"" +
                                         array_key + "\" array");
  }
  std::vector<std::string> names;
  for (const auto& entry : *list) {
    for (const char* key : name_keys) {
      if (auto name = entry.find(key); name != entry.end() && name->is_string()) {
        names.push_back(name->get<std::string>());
        break;
      }
    }
  }
  return names;
}

json role_content_messages(const std::vector<Message>& messages) {
  json list = json::array();
  for (const auto& message : messages) {
    list.push_back({{"role", std::string(to_string(message.role))}, {"content", message.content}});
  }
  return list;
}

std::string concatenated_contents(const std::vector<Message>& messages) {
  std::string text;
  for (const auto& message : messages) text += message.content;
  return text;
}

}  // namespace weft::backend
