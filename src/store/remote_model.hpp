// What a source (Hugging Face, an Ollama registry) says about a model before its download:
// where the GGUF blob is, its digest and size, and how to explain a refusal.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace weft::store {

struct RemoteModel {
  std::string source;                // "huggingface" or "ollama"
  std::string url;                   // the blob's URL
  std::vector<std::string> headers;  // sent with the blob request too
  std::string sha256_hex;
  uint64_t size = 0;
  std::string file;        // Hugging Face file name, else ""
  std::string extra_json;  // metadata of layers not downloaded, else ""
  std::function<std::string(long status)> explain_status;
};

}  // namespace weft::store
