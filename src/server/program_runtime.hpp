// The ContextRuntime that the daemon's programs run on, for the loaded backend.
#pragma once

#include <memory>

#include "weft/backend.hpp"
#include "weft/context.hpp"

namespace weft::server {

// The native backend's own runtime (NativeBackend::context_runtime): programs share its
// model, KV pool, prefix cache and model calls with the generations, and their pages count at
// its admission. Any other backend is refused with invalid_request naming it (remote backends
// have no contexts). Throws weft::Error(backend_unavailable) before the backend loaded.
std::shared_ptr<ContextRuntime> program_runtime(Backend& backend);

}  // namespace weft::server
