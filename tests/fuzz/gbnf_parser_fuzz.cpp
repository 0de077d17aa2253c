// libFuzzer target for the GBNF parser and matcher: the input is a grammar, optionally
// followed by a NUL byte and a text to match. Any input must give a grammar or a
// weft::Error, never a crash; limits keep each run small, so no input can hang it.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "grammar/grammar.hpp"
#include "weft/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view gbnf = input.substr(0, input.find('\0'));
  std::string_view text = gbnf.size() < input.size() ? input.substr(gbnf.size() + 1) : "";
  weft::grammar::Limits limits;
  limits.max_bytes = 8192;
  limits.max_rules = 256;
  limits.max_nesting = 16;
  limits.max_elements = 1 << 14;
  try {
    auto grammar = weft::grammar::parse_gbnf(gbnf, limits);
    weft::grammar::matches(*grammar, text.substr(0, 512));
  } catch (const weft::Error&) {
    // A clear refusal is the expected outcome for most inputs.
  }
  return 0;
}
