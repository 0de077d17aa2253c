// Turns untrusted bytes into a validated GgufFile (header, metadata, tensor infos, layout).
#pragma once

#include <memory>
#include <string>

#include "gguf/byte_storage.hpp"
#include "gguf/gguf_file.hpp"

namespace weft::gguf {

class GgufParser {
 public:
  // Nesting deeper than this is rejected; real files nest at most one level (arrays of
  // arrays), and unbounded depth would let a small file exhaust the stack.
  static constexpr int kMaxArrayDepth = 8;

  static std::shared_ptr<const GgufFile> parse(std::shared_ptr<const ByteStorage> storage,
                                               const std::string& source);
};

}  // namespace weft::gguf
