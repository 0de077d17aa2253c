// SentencePiece's word-start mark "▁" (U+2581), which vocabularies store in place of a space.
#pragma once

#include <string_view>

namespace weft::tokenizer {

inline constexpr std::string_view kSpaceMark = "\xE2\x96\x81";

}  // namespace weft::tokenizer
