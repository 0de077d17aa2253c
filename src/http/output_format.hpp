// response_format (OpenAI) and format (Ollama) → the grammar the output must match.
#pragma once

#include <string>

#include "http/openai_request.hpp"
#include "weft/types.hpp"

namespace weft::http {

// Sets options.grammar for JSON output (grammar/json_schema.hpp): a free-form JSON object,
// or the schema's language. Throws ApiException 400 naming `field` for a schema the converter
// cannot express. Plain text leaves the options alone.
void apply_output_format(const OutputFormat& format, const std::string& field,
                         GenerationOptions& options);

// Request bodies are read into key-sorted JSON; a schema's properties must keep the order the
// client wrote (members are generated in that order), so the schema at `pointer`
// ("/response_format/json_schema/schema", "/format") is read again from the body, in order.
void read_schema_in_order(OutputFormat& format, const std::string& body,
                          const std::string& pointer);

}  // namespace weft::http
