#include "support/vocab_vectors.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "gguf/gguf_file.hpp"
#include "support/shared_files.hpp"

namespace weft::test {
namespace {

constexpr std::string_view kSeparator = "\n__ggml_vocab_test__\n";
constexpr std::string_view kPrefix = "ggml-vocab-";

std::filesystem::path vocab_dir() {
  return shared_path("models/vocab");
}

enum class Select { with_gguf, with_gguf_and_vectors, vectors_without_gguf, all_vectors };

// The vocabulary files are ggml-vocab-NAME.gguf and ggml-vocab-NAME.gguf.{inp,out}; a name
// is known by whichever of its files exist.
std::vector<std::string> names_where(Select select) {
  constexpr std::string_view kGguf = ".gguf";
  constexpr std::string_view kVectors = ".gguf.out";
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(vocab_dir())) {
    std::string file = entry.path().filename().string();
    if (file.rfind(kPrefix, 0) != 0) continue;
    bool is_gguf = file.ends_with(kGguf);
    bool is_vectors = file.ends_with(kVectors);
    if (!is_gguf && !is_vectors) continue;
    size_t suffix = is_gguf ? kGguf.size() : kVectors.size();
    std::string name = file.substr(kPrefix.size(), file.size() - kPrefix.size() - suffix);
    bool has_gguf = std::filesystem::exists(vocab_gguf_path(name));
    bool has_vectors = std::filesystem::exists(vocab_gguf_path(name).string() + ".out");
    bool wanted = false;
    switch (select) {
      case Select::with_gguf:
        wanted = is_gguf;
        break;
      case Select::with_gguf_and_vectors:
        wanted = is_gguf && has_vectors;
        break;
      case Select::vectors_without_gguf:
        wanted = is_vectors && !has_gguf;
        break;
      case Select::all_vectors:
        wanted = is_vectors;
        break;
    }
    if (wanted) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

std::vector<std::string> vocab_names_with_vectors() {
  return names_where(Select::with_gguf_and_vectors);
}
std::vector<std::string> vocab_names() {
  return names_where(Select::with_gguf);
}
std::vector<std::string> vocab_names_with_vectors_only() {
  return names_where(Select::vectors_without_gguf);
}
std::vector<std::string> vocab_names_of_all_vectors() {
  return names_where(Select::all_vectors);
}

std::filesystem::path vocab_gguf_path(const std::string& name) {
  return vocab_dir() / (std::string(kPrefix) + name + ".gguf");
}

std::vector<std::string> load_vocab_inputs(const std::string& name) {
  std::string text = read_text_file(vocab_gguf_path(name).string() + ".inp");
  std::vector<std::string> inputs;
  // Every string, the last included, is followed by the separator.
  size_t start = 0;
  for (size_t end; (end = text.find(kSeparator, start)) != std::string::npos;) {
    inputs.push_back(text.substr(start, end - start));
    start = end + kSeparator.size();
  }
  if (start < text.size()) inputs.push_back(text.substr(start));
  return inputs;
}

VocabVectors load_vocab_vectors(const std::string& name) {
  VocabVectors vectors;
  vectors.name = name;
  vectors.gguf = vocab_gguf_path(name);
  vectors.inputs = load_vocab_inputs(name);
  std::istringstream lines(read_text_file(vectors.gguf.string() + ".out"));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream numbers(line);
    std::vector<tokenizer::TokenId> ids;
    for (tokenizer::TokenId id; numbers >> id;) ids.push_back(id);
    vectors.expected.push_back(std::move(ids));
  }
  if (vectors.expected.size() != vectors.inputs.size()) {
    throw std::runtime_error(name + ": " + std::to_string(vectors.inputs.size()) + " strings but " +
                             std::to_string(vectors.expected.size()) + " expected lines");
  }
  return vectors;
}

std::unique_ptr<tokenizer::Tokenizer> load_vocab_tokenizer(const std::string& name) {
  auto file = gguf::GgufFile::open(vocab_gguf_path(name).string());
  return tokenizer::Tokenizer::from_gguf(*file);
}

}  // namespace weft::test
