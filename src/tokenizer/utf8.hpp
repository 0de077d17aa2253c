// Small UTF-8 helpers shared by the encoders and the detokenizer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::tokenizer {

// Length of the sequence a lead byte announces (1..4), or 0 for a byte that cannot lead.
size_t utf8_lead_length(uint8_t lead);

// Length of the character starting at `pos`: the announced length when the sequence is
// complete and valid, otherwise 1 (an invalid byte stands for itself).
size_t utf8_char_length(std::string_view text, size_t pos);

// Appends the UTF-8 encoding of a code point.
void append_utf8(std::string& out, uint32_t code_point);

// Copies `bytes` to valid UTF-8, each invalid byte becoming U+FFFD. With `final` false, an
// incomplete but so far valid sequence at the end is left out and its length returned
// through `held_back`, so that the caller can complete it with later bytes.
std::string take_valid_utf8(std::string_view bytes, bool final, size_t& held_back);

bool is_valid_utf8(std::string_view text);

}  // namespace weft::tokenizer
