#include "tokenizer/utf8.hpp"

#include <utf8proc.h>

#include <algorithm>

namespace weft::tokenizer {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// Validates the full sequence (overlongs, surrogates, range) through utf8proc.
bool is_valid_sequence(std::string_view text, size_t pos, size_t length) {
  utf8proc_int32_t code_point = 0;
  auto read = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                               static_cast<utf8proc_ssize_t>(length), &code_point);
  return read == static_cast<utf8proc_ssize_t>(length);
}

// How many bytes from `pos` form the start of a well-formed sequence of `length` bytes
// (Unicode table 3-7: the second byte's range depends on the lead).
size_t valid_prefix_length(std::string_view bytes, size_t pos, size_t length) {
  if (length == 0) return 0;
  size_t valid = 1;
  auto lead = static_cast<uint8_t>(bytes[pos]);
  for (size_t i = 1; i < length && pos + i < bytes.size(); ++i) {
    auto byte = static_cast<uint8_t>(bytes[pos + i]);
    uint8_t low = 0x80;
    uint8_t high = 0xBF;
    if (i == 1 && lead == 0xE0) low = 0xA0;
    if (i == 1 && lead == 0xED) high = 0x9F;
    if (i == 1 && lead == 0xF0) low = 0x90;
    if (i == 1 && lead == 0xF4) high = 0x8F;
    if (byte < low || byte > high) break;
    ++valid;
  }
  return valid;
}

}  // namespace

size_t utf8_lead_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

size_t utf8_char_length(std::string_view text, size_t pos) {
  size_t length = utf8_lead_length(static_cast<uint8_t>(text[pos]));
  if (length <= 1) return 1;
  if (pos + length > text.size() || !is_valid_sequence(text, pos, length)) return 1;
  return length;
}

void append_utf8(std::string& out, uint32_t code_point) {
  utf8proc_uint8_t buffer[4];
  auto written = utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), buffer);
  out.append(reinterpret_cast<const char*>(buffer), static_cast<size_t>(written));
}

std::string take_valid_utf8(std::string_view bytes, bool final, size_t& held_back) {
  std::string out;
  out.reserve(bytes.size());
  held_back = 0;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t length = utf8_lead_length(static_cast<uint8_t>(bytes[pos]));
    size_t valid = valid_prefix_length(bytes, pos, length);
    if (length != 0 && valid == length) {
      out.append(bytes.substr(pos, length));
      pos += length;
      continue;
    }
    if (length != 0 && pos + valid == bytes.size() && !final) {  // may still complete
      held_back = valid;
      return out;
    }
    // Unicode's "maximal subpart" practice: one U+FFFD per broken sequence.
    out += kReplacement;
    pos += std::max<size_t>(valid, 1);
  }
  return out;
}

bool is_valid_utf8(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    size_t length = utf8_lead_length(static_cast<uint8_t>(text[pos]));
    if (length == 0 || pos + length > text.size()) return false;
    if (length > 1 && !is_valid_sequence(text, pos, length)) return false;
    pos += length;
  }
  return true;
}

}  // namespace weft::tokenizer
