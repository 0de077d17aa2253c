#include "tokenizer/vocab_tokenizer.hpp"

#include <string>

#include "gguf/gguf_file.hpp"
#include "tokenizer/bpe_encoder.hpp"
#include "tokenizer/byte_level.hpp"
#include "tokenizer/space_mark.hpp"
#include "tokenizer/spm_encoder.hpp"
#include "tokenizer/wordpiece_encoder.hpp"
#include "weft/error.hpp"

namespace weft::tokenizer {
namespace {

// SentencePiece renders an unknown piece as " ⁇ ".
constexpr std::string_view kUnknownText = " \xE2\x81\x87 ";

std::unique_ptr<FragmentEncoder> make_encoder(const Vocab& vocab) {
  if (vocab.model == "llama") return std::make_unique<SpmEncoder>(vocab);
  if (vocab.model == "gpt2")
    return std::make_unique<BpeEncoder>(vocab, PreTokenizer::for_name(vocab.pre));
  return std::make_unique<WordPieceEncoder>(vocab);
}

std::string replace_space_marks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    if (text.substr(pos, kSpaceMark.size()) == kSpaceMark) {
      out += ' ';
      pos += kSpaceMark.size();
    } else {
      out += text[pos++];
    }
  }
  return out;
}

// "<0x0A>" → '\n'; nullopt for anything else.
std::optional<char> parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  int high = hex(piece[3]);
  int low = hex(piece[4]);
  if (high < 0 || low < 0) return std::nullopt;
  return static_cast<char>(high * 16 + low);
}

}  // namespace

VocabTokenizer::VocabTokenizer(Vocab vocab)
    : vocab_(std::move(vocab)), encoder_(make_encoder(vocab_)), special_(vocab_) {
  strip_leading_space_ =
      (vocab_.model == "llama" && vocab_.add_space_prefix) || vocab_.model == "bert";
  token_bytes_.reserve(vocab_.pieces.size());
  end_of_generation_.assign(vocab_.pieces.size(), false);
  for (TokenId id = 0; id < vocab_.size(); ++id) {
    token_bytes_.push_back(compute_token_bytes(id));
    if (vocab_.types[id] == TokenType::control && is_end_of_turn_text(vocab_.pieces[id])) {
      end_of_generation_[id] = true;
    }
  }
  for (auto id : {vocab_.eos, vocab_.eot, vocab_.eom}) {
    if (id) end_of_generation_[*id] = true;
  }
}

std::string VocabTokenizer::compute_token_bytes(TokenId id) const {
  const std::string& text = vocab_.pieces[id];
  switch (vocab_.types[id]) {
    case TokenType::control:
    case TokenType::unused:
      return {};
    case TokenType::unknown:
      return std::string(kUnknownText);
    case TokenType::byte:
      if (auto byte = parse_byte_piece(text)) return std::string(1, *byte);
      return text;
    case TokenType::user_defined:
      // SentencePiece-style added pieces spell spaces as "▁" too (Gemma 3's "▁▁"), and
      // Hugging Face's decoder turns them back into spaces like any other piece's.
      return vocab_.model == "llama" ? replace_space_marks(text) : text;
    case TokenType::normal:
    case TokenType::undefined:
      break;
  }
  if (vocab_.model == "gpt2") return byte_level_map().decode(text);
  return replace_space_marks(text);
}

void VocabTokenizer::check_id(TokenId id) const {
  if (!vocab_.valid(id)) {
    throw Error("token id " + std::to_string(id) + " is outside the vocabulary (0.." +
                std::to_string(vocab_.size() - 1) + ")");
  }
}

std::vector<TokenId> VocabTokenizer::encode(std::string_view text, EncodeOptions options) const {
  std::vector<TokenId> ids;
  ids.reserve(text.size() / 3 + 2);
  if (options.add_bos && vocab_.bos) ids.push_back(*vocab_.bos);
  const size_t limit = options.max_tokens > 0 ? options.max_tokens : SIZE_MAX;
  bool at_boundary = true;
  for (const Fragment& fragment : special_.split(text, options.parse_special)) {
    if (ids.size() > limit) return ids;
    if (fragment.token) {
      ids.push_back(*fragment.token);
      at_boundary = true;
    } else {
      encoder_->encode(fragment.text, at_boundary, ids, limit);
      at_boundary = false;
    }
  }
  if (ids.size() > limit) return ids;
  if (options.add_eos && vocab_.eos) ids.push_back(*vocab_.eos);
  return ids;
}

std::string VocabTokenizer::decode(std::span<const TokenId> ids, bool render_special) const {
  std::string out;
  bool before_first_word = true;
  for (TokenId id : ids) {
    check_id(id);
    TokenType kind = vocab_.types[id];
    if (kind == TokenType::control) {
      if (render_special) out += vocab_.pieces[id];
      continue;
    }
    std::string_view bytes = token_bytes_[id];
    // Only the space that encoding added before the first word goes.
    if (before_first_word && strip_leading_space_ && !bytes.empty() && bytes.front() == ' ') {
      bytes.remove_prefix(1);
    }
    before_first_word = false;
    out += bytes;
  }
  return out;
}

std::string VocabTokenizer::token_bytes(TokenId id) const {
  check_id(id);
  return token_bytes_[id];
}

const std::string& VocabTokenizer::piece(TokenId id) const {
  check_id(id);
  return vocab_.pieces[id];
}

std::optional<TokenId> VocabTokenizer::find_piece(std::string_view piece) const {
  return vocab_.find(piece);
}

TokenType VocabTokenizer::type(TokenId id) const {
  check_id(id);
  return vocab_.types[id];
}

bool VocabTokenizer::is_end_of_generation(TokenId id) const {
  return vocab_.valid(id) && end_of_generation_[id];
}

std::unique_ptr<Tokenizer> Tokenizer::from_gguf(const gguf::GgufFile& file) {
  try {
    return tokenizer_from_metadata(file.metadata());
  } catch (const Error& error) {  // the metadata does not know which file it came from
    throw Error(error.code(), file.path() + ": " + error.what());
  }
}

std::unique_ptr<Tokenizer> tokenizer_from_metadata(std::span<const gguf::MetadataEntry> metadata) {
  return std::make_unique<VocabTokenizer>(load_vocab(metadata));
}

}  // namespace weft::tokenizer
