#include "server/program_runtime.hpp"

#include "weft/error.hpp"

namespace weft::server {

std::shared_ptr<ContextRuntime> program_runtime(Backend& backend, const ServeConfig& config,
                                                const std::string& model_path) {
  if (backend.name() != "native") {
    throw Error(ErrorCode::invalid_request,
                "programs run on the native backend only; this daemon serves '" + backend.name() +
                    "', whose model weft cannot step through");
  }
  ContextRuntimeOptions options;
  options.model_path = model_path;
  options.context_length = config.context_length.value_or(0);
  options.threads = config.threads;
  options.prefix_cache = config.prefix_cache;
  options.chat_template_path = config.chat_template;
  return ContextRuntime::open(options);
}

}  // namespace weft::server
