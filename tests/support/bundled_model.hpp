// The model file the repository bundles (assets/): stories260K in f32, the same bytes as
// ../shared/models/stories260K/stories260K-f32.gguf.
#pragma once

#include <string>

namespace weft::test {

inline std::string bundled_model_file() {
  return std::string(WEFT_SOURCE_DIR) + "/assets/stories260K-f32.gguf";
}

}  // namespace weft::test
