// libFuzzer target for the JSON Schema converter: any JSON text either converts or fails with
// weft::Error; what converts stays under kMaxSchemaGrammarBytes and is GBNF the parser takes
// (or refuses only for its size limits, never for its syntax).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "grammar/grammar.hpp"
#include "grammar/json_schema.hpp"
#include "weft/error.hpp"

namespace {

bool is_size_limit(const std::string& message) {
  return message.find("more than") != std::string::npos ||
         message.find("over the limit") != std::string::npos ||
         message.find("too large") != std::string::npos;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto schema = nlohmann::ordered_json::parse(input, nullptr, /*allow_exceptions=*/false);
  if (schema.is_discarded()) return 0;
  std::string gbnf;
  try {
    gbnf = weft::grammar::json_schema_to_gbnf(schema);
  } catch (const weft::Error&) {
    return 0;
  }
  if (gbnf.size() > weft::grammar::kMaxSchemaGrammarBytes + 4096) std::abort();
  try {
    weft::grammar::parse_gbnf(gbnf, {.max_bytes = weft::grammar::kMaxSchemaGrammarBytes + 4096});
  } catch (const weft::Error& error) {
    if (!is_size_limit(error.what())) std::abort();  // the converter wrote bad GBNF
  }
  return 0;
}
