// JSON numbers between decimal bounds as GBNF, exactly: the integer part as a digit range
// and the fraction compared digit by digit. Bounded numbers are written without an
// exponent (1e2 is not among them; 100 is).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace weft::grammar::schema {

// A bound read exactly from its JSON spelling: sign, integer digits (no leading zeros, "0"
// for none), fraction digits (no trailing zeros).
struct Decimal {
  bool negative = false;
  std::string integer = "0";
  std::string fraction;

  bool is_zero() const { return integer == "0" && fraction.empty(); }
};

// nullopt when the bound has more than 19 integer digits or 40 fraction digits.
std::optional<Decimal> decimal_from_json(const nlohmann::ordered_json& number);

struct NumberBound {
  Decimal value;
  bool exclusive = false;
};

// The numbers x with low <= x <= high (< where exclusive; a side absent: unbounded);
// nullopt when there is none.
std::optional<std::string> number_range(const std::optional<NumberBound>& low,
                                        const std::optional<NumberBound>& high);

// -1, 0, 1 as a is below, equal to, above b.
int compare(const Decimal& a, const Decimal& b);

}  // namespace weft::grammar::schema
