#include "backend/option_support.hpp"

namespace weft::backend {

std::optional<std::string> unsupported_native_only_option(const GenerationOptions& options,
                                                          std::string_view backend) {
  const char* option = nullptr;
  if (!options.grammar.empty()) {
    option = "grammar";
  } else if (!options.logit_bias.empty()) {
    option = "logit_bias";
  } else if (options.logprobs || options.top_logprobs > 0) {
    option = "logprobs";
  }
  if (!option) return std::nullopt;
  return "the " + std::string(backend) + " backend does not support " + option +
         " (only the native backend does)";
}

}  // namespace weft::backend
