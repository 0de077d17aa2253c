// Paths and raw reads of the reference data in ../shared, for tests.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace weft::test {

std::filesystem::path shared_path(const std::string& relative);

// Every *.gguf under ../shared/models and ../shared/fixtures, sorted; `include_invalid` adds
// the files under models/vocab-invalid that a reader must reject.
std::vector<std::filesystem::path> shared_gguf_files(bool include_invalid = false);

std::vector<std::byte> read_file_bytes(const std::filesystem::path& path);

}  // namespace weft::test
