// `weft chat`'s options and its loop, also what `weft run MODEL` starts on a terminal when no
// prompt is given (as `ollama run MODEL` does).
#pragma once

#include <optional>
#include <string>

#include "cli/constraint_options.hpp"
#include "weft/types.hpp"

namespace weft::cli {

struct ChatOptions {
  std::string backend;
  std::string model;             // -m/--model
  std::string positional_model;  // MODEL, the same given as an argument
  std::string system_prompt;
  bool stats = false;
  bool verbose = false;
  std::optional<int> gpu_layers;
  std::string kv_type = "f16";  // --kv-type, for the native backend
  LoadOptions load;
  GenerationOptions generation;
  ConstraintFlags constraints;
};

// The conversation on stdin/stdout until end of input, /quit or Ctrl-C twice; constraints
// already applied to `options.generation`.
int run_chat(const ChatOptions& options);

}  // namespace weft::cli
