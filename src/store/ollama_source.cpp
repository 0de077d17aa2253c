#include "store/ollama_source.hpp"

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "store/http_download.hpp"
#include "weft/error.hpp"

namespace weft::store {
namespace {

constexpr const char* kManifestMediaType = "application/vnd.docker.distribution.manifest.v2+json";
constexpr const char* kModelLayer = "application/vnd.ollama.image.model";

std::string explain_registry_status(long status, const std::string& what, const std::string& url) {
  if (status == 404) return what + " was not found (HTTP 404 at " + url + ")";
  if (status == 401 || status == 403) {
    return "the registry refused " + what + " (HTTP " + std::to_string(status) + " at " + url +
           "): it needs credentials weft does not send";
  }
  return "the registry answered HTTP " + std::to_string(status) + " for " + what + " (" + url + ")";
}

}  // namespace

std::string ollama_registry_url(const ModelName& name, const std::string& override_url) {
  std::string url = override_url;
  if (url.empty() && name.host == kOllamaHost) {
    const char* custom = std::getenv("WEFT_OLLAMA_REGISTRY");
    url = custom && *custom ? custom : "https://registry.ollama.ai";
  } else if (url.empty()) {
    url = "https://" + name.host;
  }
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

RemoteModel model_layer_of(const std::string& manifest_json, const std::string& where) {
  RemoteModel remote;
  remote.source = "ollama";
  nlohmann::json others = nlohmann::json::array();
  bool found = false;
  try {
    const auto manifest = nlohmann::json::parse(manifest_json);
    for (const auto& layer : manifest.at("layers")) {
      const std::string media_type = layer.at("mediaType").get<std::string>();
      const std::string digest = layer.at("digest").get<std::string>();
      const uint64_t size = layer.value("size", uint64_t{0});
      if (media_type == kModelLayer && !found) {
        if (digest.rfind("sha256:", 0) != 0 || digest.size() != 71) {
          throw Error(ErrorCode::invalid_request,
                      where + ": the model layer's digest '" + digest + "' is not sha256");
        }
        remote.sha256_hex = digest.substr(7);
        remote.size = size;
        found = true;
      } else {
        others.push_back({{"mediaType", media_type}, {"digest", digest}, {"size", size}});
      }
    }
  } catch (const nlohmann::json::exception& error) {
    throw Error(ErrorCode::invalid_request,
                where + " is not a manifest weft can read: " + error.what());
  }
  if (!found)
    throw Error(ErrorCode::invalid_request,
                where + " has no GGUF model layer (" + kModelLayer + ")");
  const bool hex = std::all_of(remote.sha256_hex.begin(), remote.sha256_hex.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  });
  if (!hex)
    throw Error(ErrorCode::invalid_request,
                where + ": the model layer's digest is not lowercase hex");
  if (!others.empty()) remote.extra_json = others.dump();
  return remote;
}

RemoteModel resolve_ollama_model(const ModelName& name, const std::string& registry_url) {
  const std::string base =
      ollama_registry_url(name, registry_url) + "/v2/" + name.space + "/" + name.repository;
  const std::string manifest_url = base + "/manifests/" + name.tag;
  const std::vector<std::string> headers = {std::string("Accept: ") + kManifestMediaType};
  const auto reply = http_get(manifest_url, headers);
  const std::string what = "model '" + name.display() + "'";
  if (reply.status != 200)
    throw Error(ErrorCode::invalid_request,
                explain_registry_status(reply.status, what, manifest_url));
  RemoteModel remote = model_layer_of(reply.body, manifest_url);
  remote.url = base + "/blobs/sha256:" + remote.sha256_hex;
  const std::string url = remote.url;
  remote.explain_status = [what, url](long status) {
    return explain_registry_status(status, what + "'s blob", url);
  };
  return remote;
}

}  // namespace weft::store
