// JSON pieces the remote protocols (ollama, openai) share: replies parsed with errors that
// name the protocol, error bodies turned into a message, lists of model names, and the
// role/content message list both APIs take. Pure functions, no I/O.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/types.hpp"

namespace weft::backend {

// Throws weft::Error (internal) "<label>: <what> is not valid JSON: …".
nlohmann::json parse_reply_json(std::string_view text, std::string_view label,
                                std::string_view what);

// The unsigned number at `key`, else 0 (absent, negative or not a number).
uint32_t unsigned_count(const nlohmann::json& object, const char* key);

// The message of an error body: what `from_object` finds in it when it is a JSON object,
// else the body itself, trimmed and cut to 500 bytes ("(empty body)" when nothing is left).
std::string error_body_message(
    const std::string& body,
    const std::function<std::optional<std::string>(const nlohmann::json& object)>& from_object);

// The names in the array `array_key` of a model-list reply: from each entry, the first of
// `name_keys` that holds a string (entries without one are skipped). Throws weft::Error
// (internal) naming `label` and `what` when the body is not such a reply.
std::vector<std::string> names_in_list(const std::string& body, std::string_view label,
                                       std::string_view what, const char* array_key,
                                       std::initializer_list<const char*> name_keys);

// [{"role": …, "content": …}, …]
nlohmann::json role_content_messages(const std::vector<Message>& messages);

// The messages' contents one after the other: a raw prompt.
std::string concatenated_contents(const std::vector<Message>& messages);

}  // namespace weft::backend
