// The JSON building blocks schema grammars are made of: whitespace, any value, strings,
// numbers, integer ranges, string formats and literal values. Each is made once per grammar.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "grammar/gbnf_writer.hpp"

namespace weft::grammar::schema {

// Decimal spellings (no sign, no leading zeros) of the integers in [low, high]; high absent:
// every integer of at most 20 digits from low on.
std::string unsigned_integer_range(uint64_t low, std::optional<uint64_t> high);

class Primitives {
 public:
  explicit Primitives(gbnf::RuleSet& rules) : rules_(rules) {}

  std::string whitespace();  // between tokens, bounded
  std::string any_value();   // any JSON value
  std::string any_object();  // any JSON object
  std::string json_char();   // one character inside a string literal
  std::string any_string();
  std::string boolean();
  std::string number();
  std::string integer();
  // Integers in [min, max] (a side absent: unbounded), spelled without leading zeros; the
  // caller makes sure min <= max.
  std::string integer_range(std::optional<int64_t> min, std::optional<int64_t> max);
  // A string in a format (date, time, date-time, uuid); nullopt for other formats.
  std::optional<std::string> format(std::string_view name);
  // Exactly this value, with the same whitespace freedom as everything else.
  std::string literal_value(const nlohmann::ordered_json& value);

  // "[" and "]" around items (each an expression) separated by commas, with whitespace.
  std::string comma_separated(std::string_view open, std::string_view items_expr,
                              std::string_view close, bool may_be_empty);
  std::string separator();  // ws "," ws

 private:
  std::string made(const std::string& hint, const std::string& body);

  gbnf::RuleSet& rules_;
  std::map<std::string, std::string> cache_;
};

}  // namespace weft::grammar::schema
