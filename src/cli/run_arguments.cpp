#include "cli/run_arguments.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <iostream>
#include <iterator>

namespace weft::cli {
namespace {

bool ends_with_ignoring_case(const std::string& text, const std::string& suffix) {
  if (text.size() < suffix.size()) return false;
  return std::equal(suffix.rbegin(), suffix.rend(), text.rbegin(), [](char a, char b) {
    return std::tolower(static_cast<unsigned char>(a)) ==
           std::tolower(static_cast<unsigned char>(b));
  });
}

}  // namespace

bool looks_like_model(const std::string& argument) {
  if (argument.empty()) return false;
  std::error_code ignored;
  if (std::filesystem::is_regular_file(argument, ignored)) return true;
  return ends_with_ignoring_case(argument, ".gguf") || argument.rfind("hf.co/", 0) == 0;
}

ModelAndPrompt split_model_and_prompt(const RunArguments& arguments) {
  const auto& positionals = arguments.positionals;
  const bool model_given = !arguments.model_option.empty();
  const bool prompt_given = arguments.prompt_option.has_value();
  ModelAndPrompt result{arguments.model_option, arguments.prompt_option};
  if (positionals.size() > 2)
    throw CLI::ValidationError("too many arguments: at most MODEL and PROMPT ('" + positionals[2] +
                               "' is a third; quote a prompt with spaces)");
  if (positionals.size() == 2) {
    if (model_given) throw CLI::ValidationError("give the model once: as MODEL or with --model");
    if (prompt_given) throw CLI::ValidationError("give the prompt once: as PROMPT or with -p");
    return {positionals[0], positionals[1]};
  }
  if (positionals.size() == 1) {
    const std::string& only = positionals[0];
    if (model_given && prompt_given)
      throw CLI::ValidationError("'" + only + "' is extra: --model and -p are both given");
    const bool is_model = prompt_given || (!model_given && looks_like_model(only));
    if (is_model) {
      result.model = only;
    } else {
      result.prompt = only;
    }
  }
  return result;
}

std::string prompt_from_stdin() {
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

}  // namespace weft::cli
