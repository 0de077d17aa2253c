#include "http/forced_tool_call.hpp"

#include "grammar/json_schema.hpp"
#include "http/api_error.hpp"
#include "weft/error.hpp"

namespace weft::http {
namespace {

using nlohmann::ordered_json;

// One call object as the format spells it: {"name": NAME, <arguments key>: ARGUMENTS}.
ordered_json call_schema(const ordered_json& function, const std::string& arguments_key) {
  ordered_json arguments =
      function.contains("parameters") ? function["parameters"] : ordered_json{{"type", "object"}};
  ordered_json schema = {
      {"type", "object"},
      {"properties", {{"name", {{"const", function["name"]}}}, {arguments_key, arguments}}},
      {"required", {"name", arguments_key}},
      {"additionalProperties", false}};
  return schema;
}

ordered_json any_offered_call(const ordered_json& tools, const ToolChoice& choice,
                              const std::string& arguments_key) {
  ordered_json calls = ordered_json::array();
  for (const auto& tool : tools) {
    const auto& function = tool["function"];
    if (choice.kind == ToolChoice::Kind::named && function["name"] != choice.name) continue;
    calls.push_back(call_schema(function, arguments_key));
  }
  if (calls.empty()) {
    throw field_error("tool_choice", "names '" + choice.name + "', which is not in tools");
  }
  return calls.size() == 1 ? calls[0] : ordered_json{{"anyOf", calls}};
}

}  // namespace

std::string forced_tool_call_grammar(const ordered_json& tools, const ToolChoice& choice,
                                     chat::ToolCallFormat format) {
  try {
    switch (format) {
      case chat::ToolCallFormat::hermes:
        return grammar::json_schema_to_gbnf(any_offered_call(tools, choice, "arguments"),
                                            "<tool_call>\n", "\n</tool_call>");
      case chat::ToolCallFormat::llama3:
        return grammar::json_schema_to_gbnf(any_offered_call(tools, choice, "parameters"));
      case chat::ToolCallFormat::mistral: {
        ordered_json one_call =
            ordered_json{{"type", "array"},
                         {"items", any_offered_call(tools, choice, "arguments")},
                         {"minItems", 1},
                         {"maxItems", 1}};
        return grammar::json_schema_to_gbnf(one_call, "[TOOL_CALLS]", "");
      }
      case chat::ToolCallFormat::none:
        break;
    }
  } catch (const Error& error) {
    throw field_error("tools", std::string("holds a parameter schema weft cannot enforce for "
                                           "tool_choice: ") +
                                   error.what());
  }
  throw field_error("tool_choice",
                    "cannot force a tool call: the model's chat template has no tool-call "
                    "syntax weft knows (hermes, llama3 or mistral)");
}

}  // namespace weft::http
