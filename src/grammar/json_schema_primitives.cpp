#include "grammar/json_schema_primitives.hpp"

#include <string>
#include <vector>

#include "grammar/json_schema.hpp"

namespace weft::grammar::schema {
namespace {

constexpr size_t kMaxIntegerDigits = 20;

std::string join_alternatives(const std::vector<std::string>& alternatives) {
  std::string out;
  for (const auto& alternative : alternatives) {
    if (!out.empty()) out += " | ";
    out += alternative;
  }
  return alternatives.size() > 1 ? "( " + out + " )" : out;
}

std::string digit_class(char low, char high) {
  if (low == high) return std::string("\"") + low + "\"";
  return std::string("[") + low + "-" + high + "]";
}

bool all_of(const std::string& digits, char digit) {
  return digits.find_first_not_of(digit) == std::string::npos;
}

// Digit strings of one length between `low` and `high` (same length, low <= high).
std::string same_length_range(const std::string& low, const std::string& high) {
  if (low.empty()) return "";
  size_t common = 0;
  while (common < low.size() && low[common] == high[common]) ++common;
  if (common == low.size()) return "\"" + low + "\"";
  std::string prefix = common > 0 ? "\"" + low.substr(0, common) + "\" " : "";
  char first_low = low[common], first_high = high[common];
  std::string rest_low = low.substr(common + 1), rest_high = high.substr(common + 1);
  size_t rest = rest_low.size();
  std::string any_rest = rest == 0 ? "" : " [0-9]" + gbnf::repeat_suffix(rest, rest);
  std::vector<std::string> alternatives;
  char middle_low = first_low + 1, middle_high = first_high - 1;
  if (all_of(rest_low, '0')) {
    middle_low = first_low;
  } else {
    alternatives.push_back("\"" + std::string(1, first_low) + "\" " +
                           same_length_range(rest_low, std::string(rest, '9')));
  }
  bool high_free = all_of(rest_high, '9');
  if (high_free) middle_high = first_high;
  if (middle_low <= middle_high)
    alternatives.push_back(digit_class(middle_low, middle_high) + any_rest);
  if (!high_free) {
    alternatives.push_back("\"" + std::string(1, first_high) + "\" " +
                           same_length_range(std::string(rest, '0'), rest_high));
  }
  return prefix + join_alternatives(alternatives);
}

uint64_t magnitude(int64_t value) {
  return value < 0 ? 0 - static_cast<uint64_t>(value) : value;
}

}  // namespace

// Decimal spellings of the integers in [low, high] (no sign); high absent: up to the digit cap.
std::string unsigned_integer_range(uint64_t low, std::optional<uint64_t> high) {
  std::string low_text = std::to_string(low);
  size_t last_length = high ? std::to_string(*high).size() : kMaxIntegerDigits;
  std::vector<std::string> alternatives;
  for (size_t length = low_text.size(); length <= last_length; ++length) {
    std::string from = low_text;
    if (length != low_text.size()) {  // the smallest number of this length: 10...0
      from.assign(length, '0');
      from[0] = '1';
    }
    std::string to =
        high && length == last_length ? std::to_string(*high) : std::string(length, '9');
    alternatives.push_back(same_length_range(from, to));
  }
  return join_alternatives(alternatives);
}

std::string Primitives::made(const std::string& hint, const std::string& body) {
  auto found = cache_.find(hint);
  if (found != cache_.end()) return found->second;
  std::string name = rules_.add(hint, body);
  cache_[hint] = name;
  return name;
}

std::string Primitives::whitespace() {
  return made("ws", "[ \\x09\\x0A\\x0D]" + gbnf::repeat_suffix(0, kMaxJsonWhitespace));
}

std::string Primitives::separator() {
  return whitespace() + " \",\" " + whitespace();
}

std::string Primitives::json_char() {
  return made("json-char", gbnf::json_string_char_body());
}

std::string Primitives::any_string() {
  return made("string", "\"\\\"\" " + json_char() + "* \"\\\"\"");
}

std::string Primitives::boolean() {
  return made("boolean", "\"true\" | \"false\"");
}

std::string Primitives::integer() {
  return made("integer", "\"-\"? ( \"0\" | [1-9] [0-9]" +
                             gbnf::repeat_suffix(0, kMaxIntegerDigits - 1) + " )");
}

std::string Primitives::number() {
  return made("number", integer() + " ( \".\" [0-9]" + gbnf::repeat_suffix(1, kMaxIntegerDigits) +
                            " )? ( [eE] [-+]? [0-9]" + gbnf::repeat_suffix(1, 3) + " )?");
}

std::string Primitives::comma_separated(std::string_view open, std::string_view items_expr,
                                        std::string_view close, bool may_be_empty) {
  std::string ws = whitespace();
  std::string inner = std::string(items_expr) + " " + ws;
  if (may_be_empty) inner = "( " + inner + " )?";
  return gbnf::literal(open) + " " + ws + " " + inner + " " + gbnf::literal(close);
}

std::string Primitives::any_value() {
  auto found = cache_.find("json-value");
  if (found != cache_.end()) return found->second;
  std::string value = rules_.reserve("json-value");
  cache_["json-value"] = value;
  std::string member = any_string() + " " + whitespace() + " \":\" " + whitespace() + " " + value;
  std::string object =
      made("object",
           comma_separated("{", member + " ( " + separator() + " " + member + " )*", "}", true));
  std::string array = made(
      "array", comma_separated("[", value + " ( " + separator() + " " + value + " )*", "]", true));
  rules_.define(value, object + " | " + array + " | " + any_string() + " | " + number() + " | " +
                           boolean() + " | \"null\"");
  return value;
}

std::string Primitives::any_object() {
  any_value();
  return cache_.at("object");
}

std::string Primitives::integer_range(std::optional<int64_t> min, std::optional<int64_t> max) {
  std::vector<std::string> alternatives;
  if (!min || *min < 0) {  // the negative part, -1 down to min
    int64_t top = max && *max < 0 ? *max : -1;
    std::optional<uint64_t> deepest;
    if (min) deepest = magnitude(*min);
    alternatives.push_back("\"-\" " + unsigned_integer_range(magnitude(top), deepest));
  }
  if (!max || *max >= 0) {
    uint64_t bottom = min && *min > 0 ? static_cast<uint64_t>(*min) : 0;
    std::optional<uint64_t> top;
    if (max) top = static_cast<uint64_t>(*max);
    alternatives.push_back(unsigned_integer_range(bottom, top));
  }
  return join_alternatives(alternatives);
}

std::optional<std::string> Primitives::format(std::string_view name) {
  auto quoted = [](const std::string& body) { return "\"\\\"\" " + body + " \"\\\"\""; };
  auto date = [&] {
    return made("date",
                "[0-9]{4} \"-\" ( ( \"0\" [13578] | \"1\" [02] ) \"-\" ( \"0\" [1-9] | [12] [0-9] "
                "| \"3\" [01] ) | "
                "( \"0\" [469] | \"11\" ) \"-\" ( \"0\" [1-9] | [12] [0-9] | \"30\" ) | "
                "\"02-\" ( \"0\" [1-9] | \"1\" [0-9] | \"2\" [0-9] ) )");
  };
  auto time = [&] {
    return made(
        "time",
        "( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] \":\" ( [0-5] [0-9] | \"60\" ) "
        "( \".\" [0-9]{1,9} )? ( [zZ] | [-+] ( [01] [0-9] | \"2\" [0-3] ) \":\" [0-5] [0-9] )");
  };
  if (name == "date") return made("date-string", quoted(date()));
  if (name == "time") return made("time-string", quoted(time()));
  if (name == "date-time") return made("date-time-string", quoted(date() + " [tT] " + time()));
  if (name == "uuid") {
    return made("uuid-string",
                quoted("[0-9a-fA-F]{8} \"-\" [0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{4} \"-\" "
                       "[0-9a-fA-F]{4} \"-\" [0-9a-fA-F]{12}"));
  }
  return std::nullopt;
}

std::string Primitives::literal_value(const nlohmann::ordered_json& value) {
  if (value.is_object()) {
    std::string members;
    for (const auto& [key, member] : value.items()) {
      if (!members.empty()) {
        members += ' ';
        members += separator();
        members += ' ';
      }
      members += gbnf::literal(nlohmann::ordered_json(key).dump(
                     -1, ' ', false, nlohmann::json::error_handler_t::replace)) +
                 " " + whitespace() + " \":\" " + whitespace() + " " + literal_value(member);
    }
    if (members.empty()) return "\"{\" " + whitespace() + " \"}\"";
    return comma_separated("{", members, "}", false);
  }
  if (value.is_array()) {
    std::string items;
    for (const auto& item : value) {
      if (!items.empty()) {
        items += ' ';
        items += separator();
        items += ' ';
      }
      items += literal_value(item);
    }
    if (items.empty()) return "\"[\" " + whitespace() + " \"]\"";
    return comma_separated("[", items, "]", false);
  }
  return gbnf::literal(value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace weft::grammar::schema
