#include "support/shared_files.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace weft::test {

std::filesystem::path shared_path(const std::string& relative) {
  return std::filesystem::path(WEFT_SHARED_DIR) / relative;
}

std::vector<std::filesystem::path> shared_gguf_files(bool include_invalid) {
  std::vector<std::filesystem::path> files;
  for (const char* folder : {"models", "fixtures"}) {
    auto options = std::filesystem::directory_options::follow_directory_symlink;
    for (const auto& entry :
         std::filesystem::recursive_directory_iterator(shared_path(folder), options)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".gguf") continue;
      bool invalid = entry.path().parent_path().filename() == "vocab-invalid";
      if (invalid && !include_invalid) continue;
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::byte> read_file_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> bytes(chars.size());
  std::transform(chars.begin(), chars.end(), bytes.begin(),
                 [](char c) { return static_cast<std::byte>(c); });
  return bytes;
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace weft::test
