// An Ollama registry as a model source: GET {registry}/v2/{ns}/{name}/manifests/{tag}
// (a Docker distribution v2 manifest), whose layer of media type
// application/vnd.ollama.image.model is the GGUF blob at {registry}/v2/{ns}/{name}/blobs/DIGEST.
// The registry is https://registry.ollama.ai, WEFT_OLLAMA_REGISTRY (a base URL) when set, or
// https://HOST for a name that names its host.
#pragma once

#include <string>

#include "store/model_name.hpp"
#include "store/remote_model.hpp"

namespace weft::store {

// The base URL of `name`'s registry, without a trailing slash: `override_url` when not
// empty, else as above.
std::string ollama_registry_url(const ModelName& name, const std::string& override_url = "");

// Reads a registry manifest (the JSON text) into the model layer's digest and size; the
// other layers' media types and digests go to extra_json. Throws weft::Error when the
// manifest has no model layer or is malformed.
RemoteModel model_layer_of(const std::string& manifest_json, const std::string& where);

// Throws weft::Error for 401/403, 404 (naming the registry and the name) and unreachable
// registries.
RemoteModel resolve_ollama_model(const ModelName& name, const std::string& registry_url = "");

}  // namespace weft::store
