// libFuzzer target for the regex converter: any bytes as a pattern either convert or fail
// with weft::Error; what converts is bounded, parses as GBNF (up to the parser's size
// limits), and matching the pattern's own text against it does not crash. The first byte
// picks plain text or JSON-string spelling.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "grammar/grammar.hpp"
#include "grammar/regex.hpp"
#include "weft/error.hpp"

namespace {

bool is_size_limit(const std::string& message) {
  return message.find("more than") != std::string::npos ||
         message.find("over the limit") != std::string::npos ||
         message.find("too large") != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view pattern(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string gbnf;
  try {
    if (data[0] % 2 == 0) {
      gbnf = weft::grammar::regex_to_gbnf(pattern);
    } else {
      weft::grammar::gbnf::RuleSet rules(weft::grammar::kMaxRegexGrammarBytes);
      std::string name = weft::grammar::add_regex_rules(
          rules, pattern, weft::grammar::RegexSpelling::json_string, "pattern");
      gbnf = rules.render(name);
    }
  } catch (const weft::Error&) {
    return 0;
  }
  if (gbnf.size() > weft::grammar::kMaxRegexGrammarBytes + 4096) std::abort();
  try {
    auto grammar =
        weft::grammar::parse_gbnf(gbnf, {.max_bytes = weft::grammar::kMaxRegexGrammarBytes + 4096});
    weft::grammar::matches(*grammar, pattern);
  } catch (const weft::Error& error) {
    // The matcher may refuse a too-ambiguous grammar; the parser only its size limits.
    std::string message = error.what();
    if (!is_size_limit(message) && message.rfind("grammar:", 0) == 0) std::abort();
  }
  return 0;
}
