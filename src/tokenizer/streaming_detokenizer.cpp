// PLACEHOLDER from branch `sampler`, so that the generator links before branch `tokenizer`
// lands. It only holds back incomplete UTF-8 (no leading-space handling). When merging
// `tokenizer`, take that branch's implementation and delete this file.
#include <string>

#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

size_t sequence_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool is_continuation(unsigned char byte) {
  return (byte & 0xC0) == 0x80;
}

// Moves every complete sequence of `pending` to the result; invalid bytes become U+FFFD; an
// incomplete sequence at the end stays in `pending` unless `at_end`.
std::string take_complete(std::string& pending, bool at_end) {
  std::string out;
  size_t i = 0;
  while (i < pending.size()) {
    size_t length = sequence_length(static_cast<unsigned char>(pending[i]));
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    size_t available = 1;
    while (available < length && i + available < pending.size() &&
           is_continuation(static_cast<unsigned char>(pending[i + available]))) {
      ++available;
    }
    if (available == length) {
      out.append(pending, i, length);
      i += length;
    } else if (i + available == pending.size() && !at_end) {
      break;  // may still be completed by the next token
    } else {
      out += kReplacement;
      i += available;
    }
  }
  pending.erase(0, i);
  return out;
}

}  // namespace

StreamingDetokenizer::StreamingDetokenizer(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}

std::string StreamingDetokenizer::push(TokenId id) {
  first_ = false;
  pending_ += tokenizer_.token_bytes(id);
  return take_complete(pending_, false);
}

std::string StreamingDetokenizer::flush() {
  return take_complete(pending_, true);
}

}  // namespace weft::tokenizer
