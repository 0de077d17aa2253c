// JSON Schema → GBNF: a grammar whose sentences are exactly the JSON texts an LLM may emit
// for a schema (docs/grammar-json-schema.md lists the keywords, the choices and the limits).
//
//   std::string gbnf = grammar::json_schema_to_gbnf(nlohmann::json::parse(schema_text));
//   auto grammar = grammar::parse_gbnf(gbnf);
//
// Choices every caller should know:
// - Whitespace: between tokens, up to kMaxJsonWhitespace characters of [ \t\n\r], so compact
//   and pretty-printed JSON both match and a model cannot emit spaces forever. None before or
//   after the top-level value.
// - Object members come in the order of `properties` in the schema (optional ones may be
//   left out), then `required` names not in `properties`, then additional properties. An
//   nlohmann::json object keeps its keys sorted, so pass nlohmann::ordered_json to keep the
//   order the schema was written in.
// - oneOf is treated as anyOf (a grammar cannot say "exactly one").
// - Numbers: an integer part of at most 20 digits, a fraction of at most 20, an exponent of at
//   most 3, so that generation always ends. Numbers with minimum/maximum are written without
//   an exponent (their bounds are exact). Integers are written without a fraction.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace weft::grammar {

inline constexpr size_t kMaxJsonWhitespace = 32;
inline constexpr size_t kMaxSchemaNesting = 64;   // subschemas inside subschemas
inline constexpr size_t kMaxSchemaCount = 10000;  // min/max Items/Length bound
inline constexpr size_t kMaxSchemaGrammarBytes = 1 << 20;

// Throws weft::Error(invalid_request) naming the keyword and its JSON pointer for anything it
// cannot express ("json schema: unsupported keyword 'if' at /properties/a"), and when the
// schema accepts no value at all.
std::string json_schema_to_gbnf(const nlohmann::json& schema);
std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema);
// The schema's value with fixed text around it, e.g. a tool call inside a model's
// "<tool_call>\n" … "\n</tool_call>" markers.
std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema, std::string_view before,
                                std::string_view after);

// Any JSON object (OpenAI's response_format json_object and Ollama's format "json" both ask
// for an object at the top), with the same whitespace rule as schema grammars.
std::string_view free_form_json_gbnf();

}  // namespace weft::grammar
