// response_format (OpenAI) and format (Ollama) → the grammar the output must match.
#pragma once

#include <string>

#include "http/openai_request.hpp"
#include "weft/types.hpp"

namespace weft::http {

// Sets options.grammar for JSON output; throws ApiException 400 naming `field` when the
// format cannot be enforced. Plain text leaves the options alone.
void apply_output_format(const OutputFormat& format, const std::string& field,
                         GenerationOptions& options);

}  // namespace weft::http
