#include "tokenizer/bpe_encoder.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>

#include "tokenizer/byte_level.hpp"
#include "tokenizer/pair_merging.hpp"
#include "tokenizer/utf8.hpp"

namespace weft::tokenizer {
namespace {

// NFC through utf8proc; text that is not valid UTF-8 is left as it is.
std::string nfc(std::string_view text) {
  utf8proc_uint8_t* result = nullptr;
  auto length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                             static_cast<utf8proc_ssize_t>(text.size()), &result,
                             static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (length < 0) return std::string(text);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(result, &std::free);
  return std::string(reinterpret_cast<const char*>(result), static_cast<size_t>(length));
}

}  // namespace

struct BpeEncoder::Scratch {
  std::vector<MergeSymbol> symbols;
  std::vector<MergeCandidate<int32_t>> heap;
  std::string byte_level_word;
};

BpeEncoder::BpeEncoder(const Vocab& vocab, PreTokenizer pre)
    : vocab_(vocab), pre_(std::move(pre)), merges_(build_merge_table(vocab)) {
  const ByteLevelMap& bytes = byte_level_map();
  for (int byte = 0; byte < 256; ++byte) {
    byte_tokens_[byte] = vocab.find(bytes.encode(static_cast<uint8_t>(byte))).value_or(-1);
  }
}

void BpeEncoder::encode(std::string_view text, bool /*at_boundary*/, std::vector<TokenId>& out,
                        size_t limit) const {
  std::string normalized;
  if (pre_.normalizes_nfc()) {
    normalized = nfc(text);
    text = normalized;
  }
  Scratch scratch;
  for (std::string_view piece : pre_.split(text)) {
    if (out.size() > limit) return;
    encode_word(piece, scratch, out);
  }
}

// `word` is raw bytes: each byte is one GPT-2 character, so symbols start as byte tokens.
void BpeEncoder::encode_word(std::string_view word, Scratch& scratch,
                             std::vector<TokenId>& out) const {
  if (pre_.ignores_merges()) {
    scratch.byte_level_word.clear();
    byte_level_map().append_encoded(word, scratch.byte_level_word);
    if (auto id = vocab_.find(scratch.byte_level_word)) {
      out.push_back(*id);
      return;
    }
  }
  auto& symbols = scratch.symbols;
  symbols.clear();
  for (size_t pos = 0; pos < word.size(); ++pos) {
    append_symbol(symbols, byte_tokens_[static_cast<uint8_t>(word[pos])],
                  static_cast<uint32_t>(pos), 1);
  }
  // The lowest rank merges first: it is the highest priority.
  merge_adjacent_pairs(
      symbols, scratch.heap,
      [&](const MergeSymbol& left, const MergeSymbol& right) -> std::optional<PairMerge<int32_t>> {
        const RankedMerge* merge = merges_.find(left.id, right.id);
        if (merge == nullptr) return std::nullopt;
        return PairMerge<int32_t>{-merge->rank, merge->result};
      });
  for_each_merged_symbol(symbols, [&](const MergeSymbol& symbol) {
    if (symbol.id >= 0) {
      out.push_back(symbol.id);
    } else if (vocab_.unk) {
      out.push_back(*vocab_.unk);
    }
  });
}

}  // namespace weft::tokenizer
