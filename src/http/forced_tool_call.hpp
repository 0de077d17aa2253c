// tool_choice "required" or a named function, enforced: a grammar that lets the model write
// only a call of an offered tool (the named one), in the model's own tool-call syntax, with
// arguments valid under the tool's parameter schema. The output decoder then parses the call
// as it would an unforced one.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "chat/output_decoder.hpp"
#include "http/openai_request.hpp"

namespace weft::http {

// `tools` is the request's `tools` array (ordered, so arguments keep the order their schema
// gives). Throws ApiException 400 naming the field when the model's template has no tool-call
// syntax weft knows, or a tool's parameters hold a schema the converter cannot express.
std::string forced_tool_call_grammar(const nlohmann::ordered_json& tools, const ToolChoice& choice,
                                     chat::ToolCallFormat format);

}  // namespace weft::http
