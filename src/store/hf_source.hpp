// Hugging Face as a model source: the repository's file list (GET
// {endpoint}/api/models/ORG/REPO/tree/main: path, size, lfs.oid = sha256), the GGUF file the
// name picks, and its download URL ({endpoint}/ORG/REPO/resolve/main/FILE, which redirects
// to a CDN). HF_TOKEN, when set, is sent as a bearer token; HF_ENDPOINT replaces
// https://huggingface.co.
#pragma once

#include <string>
#include <vector>

#include "store/model_name.hpp"
#include "store/remote_model.hpp"

namespace weft::store {

struct HfFile {
  std::string path;
  uint64_t size = 0;
  std::string sha256_hex;  // lfs.oid; "" when the file is not in LFS
};

// The quant tag used when a name has none, as Ollama and llama.cpp choose.
inline constexpr const char* kDefaultQuant = "Q4_K_M";

// The file `name` picks from `files`: its FILE, else the GGUF whose name contains the quant
// tag (case-insensitive; tag "latest" = Q4_K_M, else the only or first GGUF). Throws
// weft::Error naming the GGUF files there are when none fits.
HfFile pick_hf_file(const ModelName& name, const std::vector<HfFile>& files);

// Throws weft::Error for 401/403 (mentions HF_TOKEN), 404 and unreachable endpoints.
RemoteModel resolve_hf_model(const ModelName& name);

}  // namespace weft::store
