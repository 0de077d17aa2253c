// Tokenizers built from GGUF `tokenizer.ggml.*` metadata.
//
// CONTRACT for the rest of the engine (implementation: issue 3, src/tokenizer/).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weft::gguf {
class GgufFile;
struct MetadataEntry;
}  // namespace weft::gguf

namespace weft::tokenizer {

using TokenId = int32_t;

// GGUF token types (`tokenizer.ggml.token_type`).
enum class TokenType : int32_t {
  undefined = 0,
  normal = 1,
  unknown = 2,
  control = 3,
  user_defined = 4,
  unused = 5,
  byte = 6,
};

struct EncodeOptions {
  bool add_bos = false;        // prepend BOS (callers usually pass add_bos_by_default())
  bool parse_special = false;  // true: text of control/user-defined tokens becomes those ids
  bool add_eos = false;        // append EOS (callers usually pass add_eos_by_default())
  // 0: no cap. Otherwise encoding stops, between words, once it has more than max_tokens
  // ids; the result is then longer than max_tokens but not the whole text's encoding. For
  // callers that refuse a text too long for a context: the work is bounded by the context,
  // not by the text (SentencePiece vocabularies merge a run of text without isolated bytes
  // as one unit, so for them the bound is that run).
  size_t max_tokens = 0;
};

// Immutable once built: every method is const and keeps no state, so one tokenizer can be
// shared by any number of threads.
class Tokenizer {
 public:
  virtual ~Tokenizer() = default;

  // Throws weft::Error naming the file and the key when the metadata is missing or malformed,
  // and naming the pre-tokenizer when `tokenizer.ggml.pre` is unknown.
  static std::unique_ptr<Tokenizer> from_gguf(const gguf::GgufFile& file);

  virtual std::vector<TokenId> encode(std::string_view text, EncodeOptions options = {}) const = 0;
  // The bytes of the tokens' text; control tokens decode to nothing unless `render_special`.
  virtual std::string decode(std::span<const TokenId> ids, bool render_special = false) const = 0;
  // The bytes one token contributes to decoded text (byte tokens give their byte).
  virtual std::string token_bytes(TokenId id) const = 0;
  // The stored piece as in the vocabulary (e.g. "▁Once", "<0x0A>").
  virtual const std::string& piece(TokenId id) const = 0;
  virtual std::optional<TokenId> find_piece(std::string_view piece) const = 0;

  virtual int32_t vocab_size() const = 0;
  virtual TokenType type(TokenId id) const = 0;
  virtual std::string_view model_name() const = 0;  // "llama", "gpt2", ...

  virtual std::optional<TokenId> bos() const = 0;
  virtual std::optional<TokenId> eos() const = 0;
  virtual std::optional<TokenId> eot() const = 0;
  // The token unknown text falls back to, and the padding token (nullopt when the
  // vocabulary has none); read from tokenizer.ggml.unknown_token_id / padding_token_id.
  virtual std::optional<TokenId> unk() const { return std::nullopt; }
  virtual std::optional<TokenId> pad() const { return std::nullopt; }
  virtual bool add_bos_by_default() const = 0;
  virtual bool add_eos_by_default() const = 0;
  // EOS, EOT and the other end-of-generation tokens (e.g. <|im_end|>, <|eot_id|>).
  virtual bool is_end_of_generation(TokenId id) const = 0;
  // Whether decoding drops the space that encoding put before the first word
  // (SentencePiece's add_space_prefix, WordPiece's word marks).
  virtual bool strips_leading_space() const { return false; }
};

// Builds a tokenizer from GGUF-style metadata entries (e.g. those an importer produced).
std::unique_ptr<Tokenizer> tokenizer_from_metadata(std::span<const gguf::MetadataEntry> metadata);

// Turns a stream of ids into text pieces that are always whole UTF-8 sequences, with
// leading-space and byte-fallback handling right across token boundaries.
class StreamingDetokenizer {
 public:
  // Starts at the beginning of the text: the space SentencePiece put before the first word
  // is dropped (as decode() does).
  explicit StreamingDetokenizer(const Tokenizer& tokenizer);
  // Continues after `preceding` (e.g. the prompt): the first word keeps its space unless
  // nothing before it produced text (only BOS or other control tokens).
  StreamingDetokenizer(const Tokenizer& tokenizer, std::span<const TokenId> preceding);
  std::string push(TokenId id);  // text that became complete with this token (may be "")
  std::string flush();           // whatever is left at the end (invalid bytes as U+FFFD)

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
  bool first_ = true;
};

}  // namespace weft::tokenizer
