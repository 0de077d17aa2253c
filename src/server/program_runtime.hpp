// The ContextRuntime that the daemon's programs run on, for the loaded backend.
#pragma once

#include <memory>
#include <string>

#include "server/config.hpp"
#include "weft/backend.hpp"
#include "weft/context.hpp"

namespace weft::server {

// Only the native backend has contexts: any other is refused with invalid_request naming it.
// For now a runtime of its own on the same model file (its own engine and KV pool, sized for
// one full context, with the daemon's context length, threads, prefix-cache setting and chat
// template), until the native backend lends its scheduler's (issue 14 §1). `model_path` is
// the --model the backend was loaded with. Throws weft::Error when the model does not load.
std::shared_ptr<ContextRuntime> program_runtime(Backend& backend, const ServeConfig& config,
                                                const std::string& model_path);

}  // namespace weft::server
