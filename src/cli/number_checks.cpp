#include "cli/number_checks.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <string>

namespace weft::cli {
namespace {

std::string show(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

// The whole text as a finite number, or nothing.
std::optional<double> parse_number(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<long long> parse_whole_number(const std::string& text) {
  long long value = 0;
  const char* end = text.data() + text.size();
  auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error != std::errc() || stop != end) return std::nullopt;
  return value;
}

std::string got(const std::string& input) {
  return ", got '" + input + "'";
}

}  // namespace

CLI::Validator number_at_least(double minimum) {
  const std::string expected = "a number >= " + show(minimum);
  return CLI::Validator(
      [minimum, expected](std::string& input) -> std::string {
        auto value = parse_number(input);
        if (!value || *value < minimum) return "expected " + expected + got(input);
        return {};
      },
      ">= " + show(minimum));
}

CLI::Validator number_between(double minimum, double maximum) {
  const std::string expected = "a number from " + show(minimum) + " to " + show(maximum);
  return CLI::Validator(
      [minimum, maximum, expected](std::string& input) -> std::string {
        auto value = parse_number(input);
        if (!value || *value < minimum || *value > maximum)
          return "expected " + expected + got(input);
        return {};
      },
      show(minimum) + " to " + show(maximum));
}

CLI::Validator whole_number_at_least(long long minimum) {
  const std::string expected = "a whole number >= " + std::to_string(minimum);
  return CLI::Validator(
      [minimum, expected](std::string& input) -> std::string {
        auto value = parse_whole_number(input);
        if (!value || *value < minimum) return "expected " + expected + got(input);
        return {};
      },
      ">= " + std::to_string(minimum));
}

}  // namespace weft::cli
