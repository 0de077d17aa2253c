// GPT-2's reversible byte ↔ character mapping: every byte becomes a printable character so
// that BPE vocabularies can be stored as text ("Ġ" is the space byte).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace weft::tokenizer {

class ByteLevelMap {
 public:
  ByteLevelMap();
  // The UTF-8 text of the character standing for `byte`.
  const std::string& encode(uint8_t byte) const { return byte_text_[byte]; }
  void append_encoded(std::string_view bytes, std::string& out) const;
  // Maps each character of `text` back to its byte; characters outside the map are kept.
  std::string decode(std::string_view text) const;

 private:
  std::array<std::string, 256> byte_text_;
  std::array<int16_t, 512> code_point_byte_{};  // code point → byte, -1 when unmapped
};

const ByteLevelMap& byte_level_map();

}  // namespace weft::tokenizer
