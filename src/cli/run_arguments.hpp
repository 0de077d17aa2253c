// How `weft run [MODEL] [PROMPT]` reads its positional arguments, -m/-p and stdin.
//
// The rule (also in `weft run --help`): with two arguments the first is the model and the
// second the prompt. With one, it is the model when -p gave the prompt, the prompt when -m gave
// the model, and otherwise the model only if it names an existing file, ends in `.gguf` or
// starts with `hf.co/`; anything else is the prompt. Without a prompt, one is read from stdin
// when stdin is not a terminal.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace weft::cli {

struct RunArguments {
  std::vector<std::string> positionals;      // [MODEL] [PROMPT]
  std::string model_option;                  // -m/--model
  std::optional<std::string> prompt_option;  // -p/--prompt
};

struct ModelAndPrompt {
  std::string model;                  // "" when none was given
  std::optional<std::string> prompt;  // nullopt when none was given
};

// True when `argument` reads as a model rather than prompt text (see the rule above).
bool looks_like_model(const std::string& argument);

// Applies the rule. Throws CLI::ValidationError when the model or prompt is given twice or
// there are too many arguments.
ModelAndPrompt split_model_and_prompt(const RunArguments& arguments);

// stdin's whole text with trailing line breaks removed (`echo hi | weft run`).
std::string prompt_from_stdin();

}  // namespace weft::cli
