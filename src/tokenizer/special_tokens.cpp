#include "tokenizer/special_tokens.hpp"

#include <algorithm>

namespace weft::tokenizer {

SpecialTokenMatcher::SpecialTokenMatcher(const Vocab& vocab) : nodes_(1) {
  for (TokenId id = 0; id < vocab.size(); ++id) {
    TokenType type = vocab.types[id];
    bool control = type == TokenType::control || type == TokenType::unknown;
    if (!control && type != TokenType::user_defined) continue;
    if (vocab.pieces[id].empty()) continue;
    insert(vocab.pieces[id], id, control);
  }
}

int32_t SpecialTokenMatcher::child(int32_t node, uint8_t byte) const {
  const auto& children = nodes_[node].children;
  auto it = std::lower_bound(children.begin(), children.end(), byte,
                             [](const auto& entry, uint8_t value) { return entry.first < value; });
  return it != children.end() && it->first == byte ? it->second : -1;
}

void SpecialTokenMatcher::insert(std::string_view text, TokenId id, bool control) {
  first_bytes_.set(static_cast<uint8_t>(text[0]));
  int32_t node = 0;
  for (char c : text) {
    uint8_t byte = static_cast<uint8_t>(c);
    int32_t next = child(node, byte);
    if (next < 0) {
      next = static_cast<int32_t>(nodes_.size());
      nodes_.emplace_back();
      auto& children = nodes_[node].children;
      auto it =
          std::lower_bound(children.begin(), children.end(), byte,
                           [](const auto& entry, uint8_t value) { return entry.first < value; });
      children.insert(it, {byte, next});
    }
    node = next;
  }
  if (nodes_[node].token < 0) {  // the first id with this text wins, as in the piece index
    nodes_[node].token = id;
    nodes_[node].control = control;
  }
}

size_t SpecialTokenMatcher::longest_match(std::string_view text, size_t pos, bool parse_control,
                                          TokenId& id) const {
  size_t best = 0;
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    node = child(node, static_cast<uint8_t>(text[i]));
    if (node < 0) break;
    const Node& here = nodes_[node];
    if (here.token >= 0 && (parse_control || !here.control)) {
      best = i + 1 - pos;
      id = here.token;
    }
  }
  return best;
}

std::vector<Fragment> SpecialTokenMatcher::split(std::string_view text, bool parse_control) const {
  std::vector<Fragment> fragments;
  size_t plain_start = 0;
  for (size_t pos = 0; pos < text.size();) {
    TokenId id = -1;
    size_t length = first_bytes_.test(static_cast<uint8_t>(text[pos]))
                        ? longest_match(text, pos, parse_control, id)
                        : 0;
    if (length == 0) {
      ++pos;
      continue;
    }
    if (pos > plain_start) fragments.push_back({text.substr(plain_start, pos - plain_start), {}});
    fragments.push_back({{}, id});
    pos += length;
    plain_start = pos;
  }
  if (plain_start < text.size()) fragments.push_back({text.substr(plain_start), {}});
  return fragments;
}

}  // namespace weft::tokenizer
