// Tool calls enforced by a grammar in the model's own tool-call syntax, the arguments valid
// under the tool's parameter schema; the output decoder then parses the call as it would an
// unconstrained one.
//  - tool_choice "required" or a named function: the model may write only a call of an
//    offered tool (the named one).
//  - tool_choice "auto" with tools marked `strict`: the model may answer in text, but a call
//    it opens (the format's trigger, e.g. "<tool_call>") must be valid: strict tools'
//    arguments fit their schema, other tools' arguments are any JSON object.
#pragma once

#include <optional>
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

struct TriggeredToolCallGrammar {
  std::string gbnf;     // matches one call from the trigger on
  std::string trigger;  // GenerationOptions::grammar_trigger
};
// Null when no tool is strict or the template has no tool-call syntax. Throws ApiException
// 400 for a parameter schema the converter cannot express.
std::optional<TriggeredToolCallGrammar> strict_tool_call_grammar(
    const nlohmann::ordered_json& tools, chat::ToolCallFormat format);

}  // namespace weft::http
