// Cuts the text of special tokens out of the input before the model's algorithm sees it.
// User-defined tokens are always recognised (as Hugging Face does for added tokens); control
// tokens only when the caller asks to parse special text. At each position the longest
// token wins.
#pragma once

#include <bitset>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "tokenizer/vocab.hpp"

namespace weft::tokenizer {

struct Fragment {
  std::string_view text;         // plain text, when `token` is empty
  std::optional<TokenId> token;  // a special token found in the input
};

class SpecialTokenMatcher {
 public:
  explicit SpecialTokenMatcher(const Vocab& vocab);
  std::vector<Fragment> split(std::string_view text, bool parse_control) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // sorted by byte
    TokenId token = -1;
    bool control = false;
  };
  int32_t child(int32_t node, uint8_t byte) const;
  void insert(std::string_view text, TokenId id, bool control);
  // Length of the longest acceptable token starting at `pos`, 0 if none; `id` receives it.
  size_t longest_match(std::string_view text, size_t pos, bool parse_control, TokenId& id) const;

  std::vector<Node> nodes_;
  std::bitset<256> first_bytes_;
};

}  // namespace weft::tokenizer
