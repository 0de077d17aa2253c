// The vocabulary as read from `tokenizer.ggml.*` metadata, independent of the algorithm.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_value.hpp"
#include "tokenizer/piece_index.hpp"
#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {

struct Vocab {
  std::string model;  // tokenizer.ggml.model: "llama", "gpt2", "bert"
  std::string pre;    // tokenizer.ggml.pre; "default" when absent
  std::vector<std::string> pieces;
  std::vector<float> scores;  // empty when the file has none
  std::vector<TokenType> types;
  std::vector<std::string> merges;  // "left right", best first (gpt2 only)
  PieceIndex index;                 // piece → id (the first id when a piece repeats)

  std::optional<TokenId> bos, eos, eot, eom, unk, pad, sep, cls, mask;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = false;

  int32_t size() const { return static_cast<int32_t>(pieces.size()); }
  std::optional<TokenId> find(std::string_view piece) const;
  bool valid(TokenId id) const { return id >= 0 && id < size(); }
};

// Whether a control token's text marks the end of a turn (<|im_end|>, <|eot_id|>, ...).
bool is_end_of_turn_text(std::string_view piece);

// Reads the vocabulary from GGUF metadata entries (a GGUF file's or an importer's). Throws
// weft::Error naming the key when a required key is missing or a value is malformed.
Vocab load_vocab(std::span<const gguf::MetadataEntry> metadata);

}  // namespace weft::tokenizer
