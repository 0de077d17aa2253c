#include "server/auth.hpp"

#include <cstdint>

namespace weft::server {

bool keys_match(std::string_view given, std::string_view expected) {
  // Walk the expected key's length whatever was given, folding every difference (and the
  // length mismatch) into one accumulator with no early exit.
  uint8_t difference = given.size() == expected.size() ? 0 : 1;
  for (size_t i = 0; i < expected.size(); ++i) {
    uint8_t left = i < given.size() ? static_cast<uint8_t>(given[i]) : 0;
    difference |= static_cast<uint8_t>(left ^ static_cast<uint8_t>(expected[i]));
  }
  volatile uint8_t result = difference;
  return result == 0 && !expected.empty();
}

}  // namespace weft::server
