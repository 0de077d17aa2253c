#include "tokenizer/spm_encoder.hpp"

#include <cstdio>
#include <queue>
#include <string>

#include "tokenizer/utf8.hpp"

namespace weft::tokenizer {
namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // "▁"

struct Symbol {
  int prev = -1;
  int next = -1;
  uint32_t start = 0;
  uint32_t length = 0;  // 0 once merged into its left neighbour
};

struct Candidate {
  float score;
  int left;
  int right;
  uint32_t length;  // combined length when queued; stale once either side changed
};

// Best score first; on ties the leftmost pair, as SentencePiece does.
struct CandidateOrder {
  bool operator()(const Candidate& a, const Candidate& b) const {
    if (a.score != b.score) return a.score < b.score;
    return a.left > b.left;
  }
};

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

SpmEncoder::SpmEncoder(const Vocab& vocab) : vocab_(vocab) {
  byte_tokens_.fill(-1);
  for (int byte = 0; byte < 256; ++byte) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", byte);
    if (auto id = vocab.find(name); id && vocab.types[*id] == TokenType::byte)
      byte_tokens_[byte] = *id;
  }
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

void SpmEncoder::encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out) const {
  if (text.empty()) return;
  const std::string escaped = escape_spaces(text, at_boundary && vocab_.add_space_prefix);
  const std::string_view view = escaped;

  std::vector<Symbol> symbols;
  symbols.reserve(escaped.size());
  for (size_t pos = 0; pos < escaped.size();) {
    uint32_t length = static_cast<uint32_t>(utf8_char_length(view, pos));
    int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, -1, static_cast<uint32_t>(pos), length});
    if (index > 0) symbols[index - 1].next = index;
    pos += length;
  }

  std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue;
  auto consider = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    uint32_t length = symbols[left].length + symbols[right].length;
    auto id = find_mergeable(view.substr(symbols[left].start, length));
    if (!id) return;
    float score = vocab_.scores.empty() ? 0.0f : vocab_.scores[*id];
    queue.push({score, left, right, length});
  };
  for (size_t i = 1; i < symbols.size(); ++i)
    consider(static_cast<int>(i) - 1, static_cast<int>(i));

  while (!queue.empty()) {
    Candidate best = queue.top();
    queue.pop();
    Symbol& left = symbols[best.left];
    Symbol& right = symbols[best.right];
    if (left.length == 0 || right.length == 0 || left.next != best.right ||
        left.length + right.length != best.length) {
      continue;
    }
    left.length += right.length;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = best.left;
    right.length = 0;
    consider(left.prev, best.left);
    consider(best.left, left.next);
  }

  for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[i].next) {
    emit_piece(view.substr(symbols[i].start, symbols[i].length), out);
  }
}

}  // namespace weft::tokenizer
