// llama-quantize's per-tensor types as tests/data keeps them (llamacpp-types.tsv: a header,
// then `model  file_type  tensor  type` rows, tab-separated, in the order of the file written).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace weft::test {

// (tensor, type) in the order llama-quantize wrote them.
using QuantizeTypeTable = std::vector<std::pair<std::string, std::string>>;

// (model, file type) → its table.
std::map<std::pair<std::string, std::string>, QuantizeTypeTable> read_quantize_type_tables(
    const std::filesystem::path& tsv);

}  // namespace weft::test
