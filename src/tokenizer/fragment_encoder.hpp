// The model-specific part of encoding: plain text (no special tokens in it) → ids.
#pragma once

#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.hpp"

namespace weft::tokenizer {

class FragmentEncoder {
 public:
  virtual ~FragmentEncoder() = default;
  // `at_boundary`: the fragment begins the input or follows a special token (where
  // SentencePiece-style vocabularies add their leading space). Stops between words (or
  // segments) once `out` holds more than `limit` ids: the caller then knows the text is too
  // long after work bounded by the limit, not by the text.
  virtual void encode(std::string_view text, bool at_boundary, std::vector<TokenId>& out,
                      size_t limit) const = 0;
};

}  // namespace weft::tokenizer
