#include "http/forced_tool_call.hpp"

#include <algorithm>

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

bool is_strict(const ordered_json& function) {
  return function.contains("strict") && function["strict"] == true;
}

// Which tools a call may name, and how their arguments are checked.
enum class Offer { forced, strict_auto };

ordered_json any_offered_call(const ordered_json& tools, const ToolChoice& choice,
                              const std::string& arguments_key, Offer offer = Offer::forced) {
  ordered_json calls = ordered_json::array();
  for (const auto& tool : tools) {
    const auto& function = tool["function"];
    if (choice.kind == ToolChoice::Kind::named && function["name"] != choice.name) continue;
    if (offer == Offer::strict_auto && !is_strict(function)) {
      ordered_json loose = function;
      loose["parameters"] = {{"type", "object"}};
      calls.push_back(call_schema(loose, arguments_key));
    } else {
      calls.push_back(call_schema(function, arguments_key));
    }
  }
  if (calls.empty()) {
    throw field_error("tool_choice", "names '" + choice.name + "', which is not in tools");
  }
  return calls.size() == 1 ? calls[0] : ordered_json{{"anyOf", calls}};
}

// One call of the offered tools in the format's syntax, from its opening marker on.
std::string call_grammar(const ordered_json& tools, const ToolChoice& choice,
                         chat::ToolCallFormat format, Offer offer) {
  try {
    switch (format) {
      case chat::ToolCallFormat::hermes:
        return grammar::json_schema_to_gbnf(any_offered_call(tools, choice, "arguments", offer),
                                            "<tool_call>\n", "\n</tool_call>");
      case chat::ToolCallFormat::llama3:
        return grammar::json_schema_to_gbnf(any_offered_call(tools, choice, "parameters", offer));
      case chat::ToolCallFormat::mistral: {
        ordered_json one_call =
            ordered_json{{"type", "array"},
                         {"items", any_offered_call(tools, choice, "arguments", offer)},
                         {"minItems", 1},
                         {"maxItems", 1}};
        return grammar::json_schema_to_gbnf(one_call, "[TOOL_CALLS]", "");
      }
      case chat::ToolCallFormat::none:
        break;
    }
  } catch (const Error& error) {
    throw field_error("tools", std::string("holds a parameter schema weft cannot enforce for "
                                           "a tool call: ") +
                                   error.what());
  }
  throw field_error(offer == Offer::forced ? "tool_choice" : "tools",
                    "cannot enforce a tool call: the model's chat template has no tool-call "
                    "syntax weft knows (hermes, llama3 or mistral)");
}

// Where a call starts in each format's output.
std::string call_trigger(chat::ToolCallFormat format) {
  switch (format) {
    case chat::ToolCallFormat::hermes:
      return "<tool_call>";
    case chat::ToolCallFormat::llama3:
      return "{\"name\"";
    case chat::ToolCallFormat::mistral:
      return "[TOOL_CALLS]";
    case chat::ToolCallFormat::none:
      break;
  }
  return "";
}

}  // namespace

std::string forced_tool_call_grammar(const ordered_json& tools, const ToolChoice& choice,
                                     chat::ToolCallFormat format) {
  return call_grammar(tools, choice, format, Offer::forced);
}

std::optional<TriggeredToolCallGrammar> strict_tool_call_grammar(const ordered_json& tools,
                                                                 chat::ToolCallFormat format) {
  const bool any_strict = std::any_of(tools.begin(), tools.end(), [](const ordered_json& tool) {
    return is_strict(tool["function"]);
  });
  // Without a tool-call syntax no call can be recognised, so there is none to hold to a schema.
  if (!any_strict || format == chat::ToolCallFormat::none) return std::nullopt;
  const ToolChoice any_tool{ToolChoice::Kind::automatic, ""};
  return TriggeredToolCallGrammar{call_grammar(tools, any_tool, format, Offer::strict_auto),
                                  call_trigger(format)};
}

}  // namespace weft::http
