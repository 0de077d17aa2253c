#include "store/pull.hpp"

#include <sys/statvfs.h>

#include <filesystem>

#include "store/hf_source.hpp"
#include "store/http_download.hpp"
#include "store/ollama_source.hpp"
#include "store/progress_meter.hpp"
#include "weft/error.hpp"

namespace weft::store {
namespace {

namespace fs = std::filesystem;

uint64_t file_size_or_zero(const std::string& path) {
  std::error_code error;
  const auto size = fs::file_size(path, error);
  return error ? 0 : static_cast<uint64_t>(size);
}

void say(std::FILE* out, const std::string& line) {
  if (!out) return;
  std::fprintf(out, "%s\n", line.c_str());
  std::fflush(out);
}

}  // namespace

void require_free_space(const std::string& directory, uint64_t needed) {
  struct statvfs info {};
  if (::statvfs(directory.c_str(), &info) != 0) return;  // cannot tell: the write will say
  const uint64_t available = static_cast<uint64_t>(info.f_bavail) * info.f_frsize;
  if (available < needed) {
    throw Error(ErrorCode::invalid_request, "not enough disk space in " + directory +
                                                ": the download needs " + human_bytes(needed) +
                                                ", " + human_bytes(available) + " are free");
  }
}

PullResult pull_model(const ModelStore& store, const ModelName& name, std::FILE* progress,
                      const std::string& registry_url) {
  const bool hugging_face = name.source == ModelSource::hugging_face;
  say(progress,
      "pulling " + name.display() + " from " +
          (hugging_face ? std::string("Hugging Face") : ollama_registry_url(name, registry_url)));
  RemoteModel remote =
      hugging_face ? resolve_hf_model(name) : resolve_ollama_model(name, registry_url);
  const std::string digest = "sha256:" + remote.sha256_hex;
  const std::string blob = store.blob_path(digest);
  fs::create_directories(store.blobs_dir());

  PullResult result;
  if (file_size_or_zero(blob) != remote.size || !fs::exists(blob)) {
    const uint64_t partial = file_size_or_zero(blob + ".partial");
    require_free_space(store.blobs_dir(), remote.size > partial ? remote.size - partial : 0);
    if (partial > 0 && partial < remote.size) {
      say(progress, "resuming from " + human_bytes(partial) + " of " + human_bytes(remote.size));
    }
    BlobDownload download;
    download.url = remote.url;
    download.headers = remote.headers;
    download.destination = blob;
    download.sha256_hex = remote.sha256_hex;
    download.size = remote.size;
    download.label = remote.file.empty() ? name.display() : remote.file;
    download.progress = progress;
    download.explain_status = remote.explain_status;
    const auto outcome = download_blob(download);
    result.downloaded = true;
    result.resumed_from = outcome.resumed_from;
    say(progress, "verified sha256 " + remote.sha256_hex);
  } else {
    say(progress, "the store has the blob sha256:" + remote.sha256_hex + " already");
  }

  Manifest manifest;
  manifest.name = name.display();
  manifest.source = remote.source;
  manifest.url = remote.url;
  manifest.file = remote.file;
  manifest.digest = digest;
  manifest.size = remote.size;
  manifest.extra_json = remote.extra_json;
  store.write_manifest(name, manifest);
  auto entry = store.find(manifest.name);
  if (!entry)
    throw Error(ErrorCode::internal, "the store lost " + manifest.name + " right after the pull");
  result.entry = *entry;
  say(progress, "pulled " + manifest.name + " (" + human_bytes(remote.size) + ")");
  return result;
}

}  // namespace weft::store
