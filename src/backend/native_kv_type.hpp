// The KV cache type of the registry's native backend: `--kv-type` (run, chat) and serve's
// `kv_type` setting choose it by name when a backend is created.
#pragma once

#include <string>

#include "weft/registry.hpp"

namespace weft::backend {

// Makes `registry`'s native backend build its KV cache of type `name` ("f16", "f32" or
// "q8_0"; throws weft::Error for another name). The other backends keep their own caches.
void use_kv_type_for_native(BackendRegistry& registry, const std::string& name);

}  // namespace weft::backend
