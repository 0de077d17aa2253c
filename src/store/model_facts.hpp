// What `weft list` and `weft show` say about a GGUF file, from its metadata and tensor table
// (the same GGUF reader as `weft inspect`; nothing is loaded).
#pragma once

#include <cstdint>
#include <string>

namespace weft::gguf {
class GgufFile;
}

namespace weft::store {

struct ModelFacts {
  std::string name;          // general.name
  std::string architecture;  // general.architecture
  uint64_t parameters = 0;   // elements of every tensor
  uint64_t context_length = 0;
  std::string quantization;  // the weight matrices' types, e.g. "Q4_K+Q6_K"
  bool has_chat_template = false;
  std::string chat_template_first_line;
  std::string license;  // general.license
};

ModelFacts model_facts(const gguf::GgufFile& file);

// "135M", "1.2B".
std::string parameter_text(uint64_t parameters);

}  // namespace weft::store
