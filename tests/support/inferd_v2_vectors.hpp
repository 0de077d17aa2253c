// The inferd v2 wire vectors (tests/protocol/data/inferd_v2_vectors.json), written from the
// protocol's specification rather than by weft.
#pragma once

#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

namespace weft::test {

inline nlohmann::json inferd_v2_vectors() {
  std::ifstream in(std::string(WEFT_SOURCE_DIR) + "/tests/protocol/data/inferd_v2_vectors.json");
  return nlohmann::json::parse(in);
}

}  // namespace weft::test
