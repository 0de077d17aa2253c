// Range checks for numeric options whose messages read well: CLI11's own NonNegativeNumber and
// PositiveNumber print the limits of double ("... not in range 0.000000 to 1797693...").
#pragma once

#include <CLI/CLI.hpp>

namespace weft::cli {

// A finite number >= minimum; the error reads "expected a number >= 0, got 'abc'".
CLI::Validator number_at_least(double minimum);
// A finite number in [minimum, maximum].
CLI::Validator number_between(double minimum, double maximum);
// An integer >= minimum (no fraction, no exponent).
CLI::Validator whole_number_at_least(long long minimum);

}  // namespace weft::cli
