// The tokenizer test vectors of ../shared/models/vocab (NAME.gguf.inp / NAME.gguf.out).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "support/shared_files.hpp"  // read_text_file, which the tests of vectors use too
#include "tokenizer/tokenizer.hpp"

namespace weft::test {

struct VocabVectors {
  std::string name;                                       // e.g. "gpt-2"
  std::filesystem::path gguf;                             // ggml-vocab-NAME.gguf
  std::vector<std::string> inputs;                        // the test strings
  std::vector<std::vector<tokenizer::TokenId>> expected;  // ids per string
};

// Vocabulary names that have a GGUF and .inp/.out vectors, sorted.
std::vector<std::string> vocab_names_with_vectors();
// Vocabulary names that have a GGUF (with or without vectors), sorted.
std::vector<std::string> vocab_names();
// Vocabulary names that have .inp/.out vectors but no GGUF to run them on, sorted.
std::vector<std::string> vocab_names_with_vectors_only();
// Every vocabulary name with a NAME.gguf.out file, GGUF or not, sorted.
std::vector<std::string> vocab_names_of_all_vectors();
std::filesystem::path vocab_gguf_path(const std::string& name);

// Throws std::runtime_error when the files disagree on the number of strings.
VocabVectors load_vocab_vectors(const std::string& name);
// Just the test strings of one vocabulary's .inp file.
std::vector<std::string> load_vocab_inputs(const std::string& name);
// The tokenizer of ggml-vocab-NAME.gguf.
std::unique_ptr<tokenizer::Tokenizer> load_vocab_tokenizer(const std::string& name);

}  // namespace weft::test
