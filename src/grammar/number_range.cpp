#include "grammar/number_range.hpp"

#include <cstdint>
#include <vector>

#include "grammar/json_schema_primitives.hpp"

namespace weft::grammar::schema {
namespace {

using Expression = std::optional<std::string>;  // nullopt: no string at all

constexpr size_t kMaxExactIntegerDigits = 19;
constexpr size_t kMaxFractionDigits = 40;

std::string alternatives(const std::vector<std::string>& options) {
  std::string out;
  for (const auto& option : options) out += (out.empty() ? "" : " | ") + option;
  return options.size() > 1 ? "( " + out + " )" : out;
}

std::string digits_between(char low, char high) {
  if (low == high) return std::string("\"") + low + "\"";
  return std::string("[") + low + "-" + high + "]";
}

int compare_magnitudes(const Decimal& a, const Decimal& b) {
  if (a.integer.size() != b.integer.size()) return a.integer.size() < b.integer.size() ? -1 : 1;
  if (a.integer != b.integer) return a.integer < b.integer ? -1 : 1;
  if (a.fraction != b.fraction) return a.fraction < b.fraction ? -1 : 1;  // no trailing zeros
  return 0;
}

// The digits after the decimal point, r, are compared as the fraction 0.r. Each helper
// gives the GBNF for the digit strings in its range, the empty one included only when
// `empty_ok` (right after the "." at least one digit must follow).

std::string with_empty(const std::string& nonempty, bool empty_allowed) {
  return empty_allowed ? "( " + nonempty + " )?" : nonempty;
}

// 0.r >= 0.f (> when strict).
Expression at_least(const std::string& f, bool strict, bool empty_ok) {
  if (f.empty()) {
    if (strict) return "\"0\"* [1-9] [0-9]*";
    return empty_ok ? "[0-9]*" : "[0-9]+";
  }
  std::vector<std::string> options;
  if (f[0] < '9') options.push_back(digits_between(static_cast<char>(f[0] + 1), '9') + " [0-9]*");
  if (auto rest = at_least(f.substr(1), strict, true)) {
    options.push_back(std::string("\"") + f[0] + "\" " + *rest);
  }
  return alternatives(options);
}

// 0.r <= 0.f (< when strict).
Expression at_most(const std::string& f, bool strict, bool empty_ok) {
  if (f.empty()) {
    if (strict) return std::nullopt;
    return empty_ok ? "\"0\"*" : "\"0\"+";
  }
  std::vector<std::string> options;
  if (f[0] > '0') options.push_back(digits_between('0', static_cast<char>(f[0] - 1)) + " [0-9]*");
  if (auto rest = at_most(f.substr(1), strict, true)) {
    options.push_back(std::string("\"") + f[0] + "\" " + *rest);
  }
  if (options.empty()) return std::nullopt;
  // f has a non-zero digit (no trailing zeros), so the empty r (0) is below it.
  return with_empty(alternatives(options), empty_ok);
}

// 0.low <= 0.r <= 0.high with 0.low < 0.high (strictness per side).
Expression between(const std::string& low, bool low_strict, const std::string& high,
                   bool high_strict, bool empty_ok) {
  char first_low = low.empty() ? '0' : low[0];
  char first_high = high[0];  // high > low >= 0, so high has digits
  std::string low_rest = low.empty() ? "" : low.substr(1);
  std::string high_rest = high.substr(1);
  bool empty_fits = empty_ok && low.empty() && !low_strict;
  std::vector<std::string> options;
  if (first_low == first_high) {
    if (auto rest = between(low_rest, low_strict, high_rest, high_strict, true)) {
      options.push_back(std::string("\"") + first_low + "\" " + *rest);
    }
  } else {
    if (auto rest = at_least(low_rest, low_strict, true)) {
      options.push_back(std::string("\"") + first_low + "\" " + *rest);
    }
    if (first_low + 1 <= first_high - 1) {
      options.push_back(
          digits_between(static_cast<char>(first_low + 1), static_cast<char>(first_high - 1)) +
          " [0-9]*");
    }
    if (auto rest = at_most(high_rest, high_strict, true)) {
      options.push_back(std::string("\"") + first_high + "\" " + *rest);
    }
  }
  if (options.empty()) return empty_fits ? Expression("\"\"") : std::nullopt;
  return with_empty(alternatives(options), empty_fits);
}

struct FractionBound {
  std::string digits;
  bool strict;
};

// What may follow an integer part: nothing (the fraction 0) or "." and digits, within bounds.
Expression fraction(const std::optional<FractionBound>& low,
                    const std::optional<FractionBound>& high) {
  bool zero_fits = (!low || (low->digits.empty() && !low->strict)) &&
                   (!high || !(high->digits.empty() && high->strict));
  Expression digits;
  if (!low && !high) {
    digits = "[0-9]+";
  } else if (!high) {
    digits = at_least(low->digits, low->strict, false);
  } else if (!low) {
    digits = at_most(high->digits, high->strict, false);
  } else if (low->digits == high->digits) {
    if (low->strict || high->strict) return std::nullopt;
    digits = low->digits.empty() ? "\"0\"+" : "\"" + low->digits + "\" \"0\"*";
  } else if (low->digits < high->digits) {
    digits = between(low->digits, low->strict, high->digits, high->strict, false);
  }
  if (!digits) return zero_fits ? Expression("") : std::nullopt;
  std::string after_point = "\".\" " + *digits;
  return zero_fits ? "( " + after_point + " )?" : after_point;
}

uint64_t to_unsigned(const std::string& digits) {
  return std::stoull(digits);
}

struct MagnitudeBound {
  Decimal value;  // non-negative
  bool strict;
};

// Unsigned decimals m with low <= m <= high (a side absent: from 0 / unbounded).
Expression magnitudes(const MagnitudeBound& low, const std::optional<MagnitudeBound>& high) {
  if (high) {
    int order = compare_magnitudes(low.value, high->value);
    if (order > 0 || (order == 0 && (low.strict || high->strict))) return std::nullopt;
  }
  uint64_t low_integer = to_unsigned(low.value.integer);
  std::vector<std::string> options;
  auto add = [&](const std::string& integer_part, const Expression& fraction_part) {
    if (!fraction_part) return;
    options.push_back(fraction_part->empty() ? integer_part : integer_part + " " + *fraction_part);
  };
  FractionBound low_fraction{low.value.fraction, low.strict};
  if (high && high->value.integer == low.value.integer) {
    add("\"" + low.value.integer + "\"",
        fraction(low_fraction, FractionBound{high->value.fraction, high->strict}));
    return alternatives(options);
  }
  add("\"" + low.value.integer + "\"", fraction(low_fraction, std::nullopt));
  std::optional<uint64_t> high_integer;
  if (high) high_integer = to_unsigned(high->value.integer);
  if (!high_integer || *high_integer > low_integer + 1) {
    std::optional<uint64_t> last_free;
    if (high_integer) last_free = *high_integer - 1;
    add(unsigned_integer_range(low_integer + 1, last_free), fraction(std::nullopt, std::nullopt));
  }
  if (high)
    add("\"" + high->value.integer + "\"",
        fraction(std::nullopt, FractionBound{high->value.fraction, high->strict}));
  if (options.empty()) return std::nullopt;
  return alternatives(options);
}

Decimal magnitude(Decimal value) {
  value.negative = false;
  return value;
}

}  // namespace

int compare(const Decimal& a, const Decimal& b) {
  if (a.is_zero() && b.is_zero()) return 0;
  bool a_negative = a.negative && !a.is_zero(), b_negative = b.negative && !b.is_zero();
  if (a_negative != b_negative) return a_negative ? -1 : 1;
  int order = compare_magnitudes(a, b);
  return a_negative ? -order : order;
}

std::optional<Decimal> decimal_from_json(const nlohmann::ordered_json& number) {
  std::string text = number.dump();
  Decimal decimal;
  size_t pos = 0;
  if (pos < text.size() && text[pos] == '-') {
    decimal.negative = true;
    ++pos;
  }
  std::string digits;
  long long point = -1;
  for (; pos < text.size() && text[pos] != 'e' && text[pos] != 'E'; ++pos) {
    if (text[pos] == '.') {
      point = static_cast<long long>(digits.size());
    } else {
      digits += text[pos];
    }
  }
  if (point < 0) point = static_cast<long long>(digits.size());
  if (pos < text.size()) point += std::stoll(text.substr(pos + 1));
  if (point > static_cast<long long>(kMaxExactIntegerDigits) + 40 ||
      point < -static_cast<long long>(kMaxFractionDigits)) {
    return std::nullopt;
  }
  // Move the point: pad with zeros on either side as needed.
  if (point < 0) {
    digits.insert(0, static_cast<size_t>(-point), '0');
    point = 0;
  }
  if (static_cast<size_t>(point) > digits.size())
    digits.append(static_cast<size_t>(point) - digits.size(), '0');
  std::string integer = digits.substr(0, static_cast<size_t>(point));
  std::string fraction = digits.substr(static_cast<size_t>(point));
  integer.erase(0, integer.find_first_not_of('0'));
  if (integer.empty()) integer.assign(1, '0');
  fraction.erase(fraction.find_last_not_of('0') + 1);
  if (integer.size() > kMaxExactIntegerDigits || fraction.size() > kMaxFractionDigits)
    return std::nullopt;
  decimal.integer = integer;
  decimal.fraction = fraction;
  return decimal;
}

std::optional<std::string> number_range(const std::optional<NumberBound>& low,
                                        const std::optional<NumberBound>& high) {
  if (low && high) {
    int order = compare(low->value, high->value);
    if (order > 0 || (order == 0 && (low->exclusive || high->exclusive))) return std::nullopt;
  }
  std::vector<std::string> options;
  // Negative numbers -m (m > 0): x >= low is m <= |low|, x <= high is m >= |high|.
  bool low_negative = low && low->value.negative && !low->value.is_zero();
  if (!low || low_negative) {
    bool high_negative = high && high->value.negative && !high->value.is_zero();
    MagnitudeBound smallest = high_negative
                                  ? MagnitudeBound{magnitude(high->value), high->exclusive}
                                  : MagnitudeBound{Decimal{}, true};
    std::optional<MagnitudeBound> largest;
    if (low) largest = MagnitudeBound{magnitude(low->value), low->exclusive};
    if (auto negative = magnitudes(smallest, largest)) options.push_back("\"-\" " + *negative);
  }
  // Non-negative numbers.
  bool high_below_zero = high && compare(high->value, Decimal{}) < 0;
  if (!high_below_zero) {
    MagnitudeBound smallest{Decimal{}, false};
    if (low && !low_negative) smallest = MagnitudeBound{magnitude(low->value), low->exclusive};
    std::optional<MagnitudeBound> largest;
    if (high) largest = MagnitudeBound{magnitude(high->value), high->exclusive};
    if (auto positive = magnitudes(smallest, largest)) options.push_back(*positive);
  }
  if (options.empty()) return std::nullopt;
  std::string out;
  for (const auto& option : options) out += (out.empty() ? "" : " | ") + option;
  return options.size() > 1 ? "( " + out + " )" : out;
}

}  // namespace weft::grammar::schema
