#include "store/hf_source.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "store/http_download.hpp"
#include "weft/error.hpp"

namespace weft::store {
namespace {

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

bool is_gguf(const HfFile& file) {
  const std::string name = lower(file.path);
  // Projector files ride along in vision repositories; they are not the language model.
  return name.size() > 5 && name.compare(name.size() - 5, 5, ".gguf") == 0 &&
         name.find("mmproj") == std::string::npos;
}

std::string endpoint() {
  const char* value = std::getenv("HF_ENDPOINT");
  std::string url = value && *value ? value : "https://huggingface.co";
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::vector<std::string> auth_headers() {
  const char* token = std::getenv("HF_TOKEN");
  if (!token || !*token) return {};
  return {std::string("Authorization: Bearer ") + token};
}

std::string explain_hugging_face_status(long status, const std::string& what,
                                        const std::string& url) {
  const bool token = std::getenv("HF_TOKEN") && *std::getenv("HF_TOKEN");
  if (status == 401 || status == 403) {
    return "Hugging Face refused " + what + " (HTTP " + std::to_string(status) + " at " + url +
           "): " +
           (token ? "HF_TOKEN is set but does not give access; accept the repository's terms "
                    "on huggingface.co or use a token that may read it"
                  : "the repository is gated or private; set HF_TOKEN to a token that may "
                    "read it");
  }
  if (status == 404) return what + " was not found on Hugging Face (HTTP 404 at " + url + ")";
  return "Hugging Face answered HTTP " + std::to_string(status) + " for " + what + " (" + url + ")";
}

std::vector<HfFile> parse_tree(const std::string& body, const std::string& url) {
  std::vector<HfFile> files;
  try {
    const auto tree = nlohmann::json::parse(body);
    if (!tree.is_array())
      throw Error(ErrorCode::invalid_request, url + " did not answer a file list");
    for (const auto& item : tree) {
      if (!item.is_object() || item.value("type", "file") != "file") continue;
      HfFile file;
      file.path = item.at("path").get<std::string>();
      file.size = item.value("size", uint64_t{0});
      if (item.contains("lfs") && item["lfs"].is_object()) {
        file.sha256_hex = lower(item["lfs"].value("oid", ""));
        file.size = item["lfs"].value("size", file.size);
      }
      files.push_back(std::move(file));
    }
  } catch (const nlohmann::json::exception& error) {
    throw Error(ErrorCode::invalid_request,
                url + " answered a file list weft cannot read: " + error.what());
  }
  return files;
}

std::string gguf_names(const std::vector<HfFile>& files) {
  std::string names;
  for (const auto& file : files) {
    if (!is_gguf(file)) continue;
    names += (names.empty() ? "" : ", ") + file.path;
  }
  return names.empty() ? "none" : names;
}

}  // namespace

HfFile pick_hf_file(const ModelName& name, const std::vector<HfFile>& files) {
  const std::string repository = name.space + "/" + name.repository;
  if (!name.file.empty()) {
    for (const auto& file : files) {
      if (file.path == name.file) return file;
    }
    throw Error(ErrorCode::invalid_request, repository + " has no file " + name.file +
                                                " (its GGUF files: " + gguf_names(files) + ")");
  }
  const bool default_tag = name.tag == kDefaultTag;
  const std::string wanted = lower(default_tag ? kDefaultQuant : name.tag);
  std::vector<HfFile> ggufs;
  std::copy_if(files.begin(), files.end(), std::back_inserter(ggufs), is_gguf);
  for (const auto& file : ggufs) {
    if (lower(file.path).find(wanted) != std::string::npos) return file;
  }
  if (default_tag && !ggufs.empty()) return ggufs.front();
  throw Error(ErrorCode::invalid_request,
              repository + " has no GGUF file " +
                  (default_tag ? std::string() : "whose name contains '" + name.tag + "' ") +
                  "(its GGUF files: " + gguf_names(files) + ")");
}

RemoteModel resolve_hf_model(const ModelName& name) {
  const std::string base = endpoint();
  const std::string repository = name.space + "/" + name.repository;
  const std::string tree_url = base + "/api/models/" + repository + "/tree/main";
  const auto headers = auth_headers();
  const auto reply = http_get(tree_url, headers);
  if (reply.status != 200)
    throw Error(ErrorCode::invalid_request,
                explain_hugging_face_status(reply.status, "repository " + repository, tree_url));
  const HfFile file = pick_hf_file(name, parse_tree(reply.body, tree_url));
  if (file.sha256_hex.size() != 64) {
    throw Error(ErrorCode::invalid_request, repository + "/" + file.path +
                                                " has no LFS sha256 in the file list, so its "
                                                "download cannot be verified; refused");
  }
  RemoteModel remote;
  remote.source = "huggingface";
  remote.url = base + "/" + repository + "/resolve/main/" + file.path;
  remote.headers = headers;
  remote.sha256_hex = file.sha256_hex;
  remote.size = file.size;
  remote.file = file.path;
  const std::string what = repository + "/" + file.path;
  const std::string url = remote.url;
  remote.explain_status = [what, url](long status) {
    return explain_hugging_face_status(status, what, url);
  };
  return remote;
}

}  // namespace weft::store
