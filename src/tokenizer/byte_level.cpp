#include "tokenizer/byte_level.hpp"

#include "tokenizer/utf8.hpp"

namespace weft::tokenizer {
namespace {

// Bytes that are printable, non-space Latin-1 characters stand for themselves.
bool maps_to_itself(int byte) {
  return (byte >= '!' && byte <= '~') || (byte >= 0xA1 && byte <= 0xAC) ||
         (byte >= 0xAE && byte <= 0xFF);
}

}  // namespace

ByteLevelMap::ByteLevelMap() {
  code_point_byte_.fill(-1);
  uint32_t next_spare = 256;  // the other bytes take code points 256, 257, ... in byte order
  for (int byte = 0; byte < 256; ++byte) {
    uint32_t code_point = maps_to_itself(byte) ? static_cast<uint32_t>(byte) : next_spare++;
    append_utf8(byte_text_[byte], code_point);
    code_point_byte_[code_point] = static_cast<int16_t>(byte);
  }
}

void ByteLevelMap::append_encoded(std::string_view bytes, std::string& out) const {
  for (char byte : bytes) out += byte_text_[static_cast<uint8_t>(byte)];
}

std::string ByteLevelMap::decode(std::string_view text) const {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    size_t length = utf8_char_length(text, pos);
    uint32_t code_point = static_cast<uint8_t>(text[pos]);
    if (length == 2) {
      code_point = ((code_point & 0x1F) << 6) | (static_cast<uint8_t>(text[pos + 1]) & 0x3F);
    }
    if (length <= 2 && code_point < code_point_byte_.size() && code_point_byte_[code_point] >= 0) {
      out += static_cast<char>(code_point_byte_[code_point]);
    } else {
      out.append(text.substr(pos, length));
    }
    pos += length;
  }
  return out;
}

const ByteLevelMap& byte_level_map() {
  static const ByteLevelMap map;
  return map;
}

}  // namespace weft::tokenizer
