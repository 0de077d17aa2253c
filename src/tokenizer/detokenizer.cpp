#include "tokenizer/tokenizer.hpp"
#include "tokenizer/utf8.hpp"

namespace weft::tokenizer {

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer,
                                           std::span<const TokenId> preceding)
    : tokenizer_(tokenizer) {
  for (TokenId id : preceding) {
    if (tokenizer_.type(id) != TokenType::control) first_ = false;
  }
}

std::string StreamingDetokenizer::push(TokenId id) {
  if (tokenizer_.type(id) == TokenType::control) return {};
  std::string bytes = tokenizer_.token_bytes(id);
  // The space encoding put before the first word is not part of the text.
  if (first_ && tokenizer_.strips_leading_space() && !bytes.empty() && bytes.front() == ' ') {
    bytes.erase(0, 1);
  }
  first_ = false;
  pending_ += bytes;
  size_t held_back = 0;
  std::string complete = take_valid_utf8(pending_, /*final=*/false, held_back);
  pending_.erase(0, pending_.size() - held_back);
  return complete;
}

std::string StreamingDetokenizer::flush() {
  size_t held_back = 0;
  std::string rest = take_valid_utf8(pending_, /*final=*/true, held_back);
  pending_.clear();
  return rest;
}

}  // namespace weft::tokenizer
