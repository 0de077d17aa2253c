// Hugging Face `tokenizer.json` (BPE: byte-level, or SentencePiece-style with byte_fallback)
// → GGUF `tokenizer.ggml.*` metadata, so that a model shipped with a tokenizer.json gets the
// same tokenizer as a converted GGUF.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_value.hpp"

namespace weft::gguf {
class GgufWriter;
}

namespace weft::tokenizer {

// `tokenizer_json` is the text of tokenizer.json; `config_json` (optional, may be empty) the
// model's config.json, which gives the BOS/EOS/PAD ids. Throws weft::Error naming the file
// (as `tokenizer_name` / `config_name`) and the JSON field when a file is malformed or uses
// a feature GGUF tokenizers cannot express.
std::vector<gguf::MetadataEntry> hf_tokenizer_metadata(
    std::string_view tokenizer_json, std::string_view config_json = {},
    const std::string& tokenizer_name = "tokenizer.json",
    const std::string& config_name = "config.json");

// Reads `tokenizer.json` at `path` and, when present, `config.json` beside it; errors name
// the files by their paths.
std::vector<gguf::MetadataEntry> hf_tokenizer_metadata_from_file(const std::filesystem::path& path);

// Sets each entry on the writer (replacing keys it already has).
void add_tokenizer_metadata(gguf::GgufWriter& writer,
                            const std::vector<gguf::MetadataEntry>& metadata);

}  // namespace weft::tokenizer
