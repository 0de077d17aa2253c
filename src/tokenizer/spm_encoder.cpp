#include "tokenizer/spm_encoder.hpp"

#include <cstdio>
#include <string>

#include "tokenizer/space_mark.hpp"
#include "tokenizer/utf8.hpp"
#include "weft/error.hpp"

namespace weft::tokenizer {
namespace {

// Merge ranks become float priorities; above this, two ranks could share one float.
constexpr size_t kMaxExactRanks = size_t{1} << 24;

std::string escape_spaces(std::string_view text, bool add_prefix) {
  std::string out;
  out.reserve(text.size() + text.size() / 4 + 3);
  if (add_prefix) out += kSpaceMark;
  for (char c : text) {
    if (c == ' ') {
      out += kSpaceMark;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

SpmEncoder::SpmEncoder(const Vocab& vocab) : vocab_(vocab), by_rank_(!vocab.merges.empty()) {
  if (vocab.merges.size() > kMaxExactRanks) {
    throw Error("tokenizer metadata: tokenizer.ggml.merges has " +
                std::to_string(vocab.merges.size()) + " entries, more than " +
                std::to_string(kMaxExactRanks) + " (the most a SentencePiece-style BPE takes)");
  }
  isolated_.fill(true);
  for (TokenId id = 0; id < vocab.size(); ++id) {
    const std::string& piece = vocab.pieces[id];
    if (piece.size() < 2 || !find_mergeable(piece)) continue;
    for (char c : piece) {
      if (static_cast<uint8_t>(c) < 0x80) isolated_[static_cast<uint8_t>(c)] = false;
    }
  }
  build_lookups();
  byte_tokens_.fill(-1);
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    if (auto id = vocab.find(name); id && vocab.types[*id] == TokenType::byte)
      byte_tokens_[byte] = *id;
  }
}

// Merging by rank: the listed merges, a lookup by ids. By score there is no table: two
// adjacent symbols are the text they cover, and the piece they form is that text's id in the
// vocabulary index. (A table of every cut of every piece, looked up by id pairs, gave the same
// merges but took ~0.3 s and 32+ MB to build for a 152k vocabulary at every load, and its
// lookups missed the cache as often as the index's: docs/performance.md#cold-start.)
void SpmEncoder::build_lookups() {
  space_mark_token_ = find_mergeable(kSpaceMark).value_or(-1);
  for (int c = 0; c < 0x80; ++c) {
    ascii_tokens_[c] = find_mergeable(std::string(1, static_cast<char>(c))).value_or(-1);
  }
  if (by_rank_) ranked_merges_ = build_merge_table(vocab_);
}

TokenId SpmEncoder::character_token(std::string_view character) const {
  if (character.size() == 1 && static_cast<uint8_t>(character[0]) < 0x80) {
    return ascii_tokens_[static_cast<uint8_t>(character[0])];
  }
  if (character == kSpaceMark) return space_mark_token_;
  return find_mergeable(character).value_or(-1);
}

std::optional<TokenId> SpmEncoder::find_mergeable(std::string_view piece) const {
  auto id = vocab_.find(piece);
  if (!id) return std::nullopt;
  // Control, unused and byte pieces are never produced by merging text.
  TokenType type = vocab_.types[*id];
  if (type == TokenType::normal || type == TokenType::user_defined ||
      type == TokenType::undefined) {
    return id;
  }
  return std::nullopt;
}

void SpmEncoder::emit_piece(std::string_view piece, std::vector<TokenId>& out) const {
  if (auto id = find_mergeable(piece)) {
    out.push_back(*id);
    return;
  }
  for (char byte : piece) {
    TokenId id = byte_tokens_[static_cast<uint8_t>(byte)];
    if (id >= 0) {
      out.push_back(id);
    } else if (vocab_.unk) {
      out.push_back(*vocab_.unk);
      return;  // one <unk> for the whole unknown character
    }
  }
}

void SpmEncoder::encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out,
                        size_t limit) const {
  if (text.empty()) return;
  const std::string escaped = escape_spaces(text, at_boundary && vocab_.add_space_prefix);
  const std::string_view view = escaped;
  size_t segment_start = 0;
  for (size_t pos = 0; pos < view.size(); ++pos) {
    auto byte = static_cast<uint8_t>(view[pos]);
    if (byte >= 0x80 || !isolated_[byte]) continue;
    if (out.size() > limit) return;
    merge_segment(view.substr(segment_start, pos - segment_start), out);
    emit_piece(view.substr(pos, 1), out);
    segment_start = pos + 1;
  }
  merge_segment(view.substr(segment_start), out);
}

// One symbol for the character; merging by rank, a character missing from the vocabulary
// is its byte tokens instead (Hugging Face's byte_fallback), when all of them exist.
void SpmEncoder::append_character(std::vector<MergeSymbol>& symbols, std::string_view text,
                                  uint32_t start) const {
  const TokenId id = character_token(text);
  if (id < 0 && by_rank_) {
    bool all_bytes = true;
    for (char byte : text) all_bytes = all_bytes && byte_tokens_[static_cast<uint8_t>(byte)] >= 0;
    if (all_bytes) {
      for (uint32_t i = 0; i < text.size(); ++i) {
        append_symbol(symbols, byte_tokens_[static_cast<uint8_t>(text[i])], start + i, 1);
      }
      return;
    }
  }
  append_symbol(symbols, id, start, static_cast<uint32_t>(text.size()));
}

// What two adjacent symbols of `text` may become: the listed merge's rank, or the score of
// the piece they form (which, for a character outside the vocabulary, only the text tells).
std::optional<PairMerge<float>> SpmEncoder::find_merge(std::string_view text,
                                                       const MergeSymbol& left,
                                                       const MergeSymbol& right) const {
  if (by_rank_) {
    const RankedMerge* merge = ranked_merges_.find(left.id, right.id);
    if (merge == nullptr) return std::nullopt;
    return PairMerge<float>{-static_cast<float>(merge->rank), merge->result};
  }
  // Adjacent symbols cover adjacent text, so the merged piece is the text from left's start.
  const auto merged = find_mergeable(text.substr(left.start, left.length + right.length));
  if (!merged) return std::nullopt;
  const float score = vocab_.scores.empty() ? 0.0f : vocab_.scores[*merged];
  return PairMerge<float>{score, *merged};
}

void SpmEncoder::merge_segment(std::string_view view, std::vector<TokenId>& out) const {
  if (view.empty()) return;

  std::vector<MergeSymbol> symbols;
  symbols.reserve(view.size());
  for (size_t pos = 0; pos < view.size();) {
    const size_t length = utf8_char_length(view, pos);
    append_character(symbols, view.substr(pos, length), static_cast<uint32_t>(pos));
    pos += length;
  }

  std::vector<MergeCandidate<float>> heap;
  // The highest priority (best score, lowest rank) merges first, leftmost on ties.
  merge_adjacent_pairs(symbols, heap, [&](const MergeSymbol& left, const MergeSymbol& right) {
    return find_merge(view, left, right);
  });

  for_each_merged_symbol(symbols, [&](const MergeSymbol& symbol) {
    if (symbol.id >= 0) {
      out.push_back(symbol.id);
    } else {
      emit_piece(view.substr(symbol.start, symbol.length), out);
    }
  });
}

}  // namespace weft::tokenizer
