#include "chat/chat_settings.hpp"

#include <charconv>
#include <cmath>
#include <functional>
#include <limits>

#include "weft/error.hpp"

namespace weft::chat {
namespace {

std::optional<double> parse_number(std::string_view text) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
    return std::nullopt;
  return value;
}

std::optional<uint64_t> parse_whole(std::string_view text) {
  uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// The shortest text that reads back as the same float: 0.7f shows as "0.7".
std::string number_text(float value) {
  char text[32];
  auto [end, error] = std::to_chars(text, text + sizeof text, value);
  return error == std::errc() ? std::string(text, end) : std::to_string(value);
}

// One setting: how to read it from text, and where it lives in GenerationOptions.
struct Setting {
  std::string_view name;
  std::string_view expected;  // for the error message: "a number from 0 to 1"
  std::function<bool(GenerationOptions&, std::string_view)> set;  // false: bad value
  std::function<std::optional<std::string>(const GenerationOptions&)> show;
};

std::function<bool(GenerationOptions&, std::string_view)> float_in(
    std::optional<float> GenerationOptions::*field, double low, double high) {
  return [field, low, high](GenerationOptions& options, std::string_view text) {
    auto value = parse_number(text);
    if (!value || *value < low || *value > high) return false;
    options.*field = static_cast<float>(*value);
    return true;
  };
}

std::function<std::optional<std::string>(const GenerationOptions&)> show_float(
    std::optional<float> GenerationOptions::*field) {
  return [field](const GenerationOptions& options) -> std::optional<std::string> {
    if (!(options.*field)) return std::nullopt;
    return number_text(*(options.*field));
  };
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = {
      {"temperature", "a number >= 0 (0 = greedy)",
       float_in(&GenerationOptions::temperature, 0, 1e6),
       show_float(&GenerationOptions::temperature)},
      {"top_p", "a number from 0 to 1", float_in(&GenerationOptions::top_p, 0, 1),
       show_float(&GenerationOptions::top_p)},
      {"top_k", "a whole number >= 0 (0 = all)",
       [](GenerationOptions& options, std::string_view text) {
         auto value = parse_whole(text);
         if (!value || *value > std::numeric_limits<uint32_t>::max()) return false;
         options.top_k = static_cast<uint32_t>(*value);
         return true;
       },
       [](const GenerationOptions& options) -> std::optional<std::string> {
         if (!options.top_k) return std::nullopt;
         return std::to_string(*options.top_k);
       }},
      {"min_p", "a number from 0 to 1", float_in(&GenerationOptions::min_p, 0, 1),
       show_float(&GenerationOptions::min_p)},
      {"repeat_penalty", "a number >= 0 (1 = off)",
       float_in(&GenerationOptions::repeat_penalty, 0, 1e6),
       show_float(&GenerationOptions::repeat_penalty)},
      {"seed", "a whole number >= 0",
       [](GenerationOptions& options, std::string_view text) {
         auto value = parse_whole(text);
         if (!value) return false;
         options.seed = *value;
         return true;
       },
       [](const GenerationOptions& options) -> std::optional<std::string> {
         if (!options.seed) return std::nullopt;
         return std::to_string(*options.seed);
       }},
      {"max_tokens", "a whole number >= 1",
       [](GenerationOptions& options, std::string_view text) {
         auto value = parse_whole(text);
         if (!value || *value < 1 || *value > std::numeric_limits<uint32_t>::max()) return false;
         options.max_tokens = static_cast<uint32_t>(*value);
         return true;
       },
       [](const GenerationOptions& options) -> std::optional<std::string> {
         return std::to_string(options.max_tokens);
       }},
  };
  return table;
}

const Setting* find_setting(std::string_view name) {
  if (name == "num_predict") name = "max_tokens";
  for (const auto& setting : settings())
    if (setting.name == name) return &setting;
  return nullptr;
}

std::string known_names() {
  std::string names;
  for (auto name : chat_setting_names()) {
    if (!names.empty()) names += ", ";
    names += name;
  }
  return names;
}

}  // namespace

const std::vector<std::string_view>& chat_setting_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> all;
    for (const auto& setting : settings()) all.push_back(setting.name);
    all.push_back("num_predict");
    return all;
  }();
  return names;
}

std::optional<std::string> set_chat_setting(GenerationOptions& options, std::string_view name,
                                            std::string_view value) {
  const Setting* setting = find_setting(name);
  if (!setting)
    return "unknown setting '" + std::string(name) + "' (settings: " + known_names() + ", system)";
  if (value.empty()) return std::string(name) + " needs a value: " + std::string(setting->expected);
  GenerationOptions changed = options;
  if (!setting->set(changed, value))
    return std::string(name) + ": expected " + std::string(setting->expected) + ", got '" +
           std::string(value) + "'";
  options = std::move(changed);
  return std::nullopt;
}

std::string describe_chat_settings(const GenerationOptions& options) {
  std::string text;
  for (const auto& setting : settings()) {
    auto shown = setting.show(options);
    text += "  " + std::string(setting.name) + " " + (shown ? *shown : "(default)") + "\n";
  }
  return text;
}

nlohmann::ordered_json chat_settings_to_json(const GenerationOptions& options) {
  nlohmann::ordered_json object = nlohmann::ordered_json::object();
  for (const auto& setting : settings()) {
    auto shown = setting.show(options);
    if (shown) object[std::string(setting.name)] = nlohmann::ordered_json::parse(*shown);
  }
  return object;
}

void apply_chat_settings_json(GenerationOptions& options, const nlohmann::json& settings_object,
                              const std::string& where) {
  if (!settings_object.is_object()) throw Error(where + ": expected an object of settings");
  GenerationOptions changed = options;
  for (const auto& [key, value] : settings_object.items()) {
    if (!value.is_number())
      throw Error(where + ": " + key + ": expected a number, got " + value.dump());
    if (auto problem = set_chat_setting(changed, key, value.dump()))
      throw Error(where + ": " + *problem);
  }
  options = std::move(changed);
}

}  // namespace weft::chat
