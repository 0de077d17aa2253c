// Paths of the reference data in ../shared, and raw reads of files (there or in the tree),
// for tests.
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

// The whole file as text; throws std::runtime_error when it cannot be opened.
std::string read_text_file(const std::filesystem::path& path);

}  // namespace weft::test
