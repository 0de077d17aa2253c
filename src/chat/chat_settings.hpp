// The sampling settings `weft chat` changes with `/set NAME VALUE` and shows with `/set` and
// `/show`, by name, and the same names in a saved conversation (chat_transcript.hpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/types.hpp"

namespace weft::chat {

// The names /set accepts, in the order /set shows them (num_predict is max_tokens' alias).
const std::vector<std::string_view>& chat_setting_names();

// Sets `name` to `value` (text as typed). Returns what is wrong — an unknown name (listing
// the known ones) or a value of the wrong kind or out of range — and leaves `options` alone
// then; nullopt when it was set.
std::optional<std::string> set_chat_setting(GenerationOptions& options, std::string_view name,
                                            std::string_view value);

// "temperature 0.7" per line for the settings that are set, "(default)" for the rest.
std::string describe_chat_settings(const GenerationOptions& options);

// The settings that are set, as a JSON object of numbers (unset ones left out).
nlohmann::ordered_json chat_settings_to_json(const GenerationOptions& options);
// Applies a settings object as read from a file: every key must be a known name with a value
// /set would accept. Throws weft::Error naming the key (as `where`.KEY) otherwise, applying
// nothing.
void apply_chat_settings_json(GenerationOptions& options, const nlohmann::json& settings,
                              const std::string& where);

}  // namespace weft::chat
