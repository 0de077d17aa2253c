// `weft inspect --json`: one JSON object with the header, metadata and tensor table.
#pragma once

#include <nlohmann/json.hpp>

#include "gguf/gguf_file.hpp"

namespace weft::cli {

// Arrays longer than `array_limit` keep only their first elements and get "truncated": true.
nlohmann::ordered_json inspect_json(const gguf::GgufFile& file, size_t array_limit);

}  // namespace weft::cli
