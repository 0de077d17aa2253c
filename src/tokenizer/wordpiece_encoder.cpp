#include "tokenizer/wordpiece_encoder.hpp"

#include <utf8proc.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "tokenizer/space_mark.hpp"
#include "tokenizer/utf8.hpp"

namespace weft::tokenizer {
namespace {

constexpr size_t kMaxWordCharacters = 100;  // longer words become [UNK]

bool is_cjk_ideograph(uint32_t cp) {
  return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
         (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) ||
         (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF) ||
         (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}

bool is_whitespace(uint32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C) return true;
  if (cp == 0x85 || cp == 0x2028 || cp == 0x2029) return true;
  return utf8proc_category(static_cast<utf8proc_int32_t>(cp)) == UTF8PROC_CATEGORY_ZS;
}

bool is_other(uint32_t cp) {
  switch (utf8proc_category(static_cast<utf8proc_int32_t>(cp))) {
    case UTF8PROC_CATEGORY_CC:
    case UTF8PROC_CATEGORY_CF:
    case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO:
    case UTF8PROC_CATEGORY_CN:
      return true;
    default:
      return false;
  }
}

bool is_punctuation(uint32_t cp) {
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
      (cp >= 123 && cp <= 126)) {
    return true;
  }
  auto category = utf8proc_category(static_cast<utf8proc_int32_t>(cp));
  return category >= UTF8PROC_CATEGORY_PC && category <= UTF8PROC_CATEGORY_PO;
}

std::string decompose(std::string_view text) {
  utf8proc_uint8_t* result = nullptr;
  auto length = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                             static_cast<utf8proc_ssize_t>(text.size()), &result,
                             static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE));
  if (length < 0) return std::string(text);
  std::unique_ptr<utf8proc_uint8_t, decltype(&std::free)> owned(result, &std::free);
  return std::string(reinterpret_cast<const char*>(result), static_cast<size_t>(length));
}

// BERT's normaliser and pre-tokeniser in one pass: words separated by single spaces, with
// each punctuation character and CJK ideograph a word of its own.
std::string normalize_and_space(std::string_view text) {
  std::string decomposed = decompose(text);
  std::string out;
  out.reserve(decomposed.size() + 8);
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(decomposed.data());
  for (size_t pos = 0; pos < decomposed.size();) {
    utf8proc_int32_t cp = 0;
    auto read =
        utf8proc_iterate(bytes + pos, static_cast<utf8proc_ssize_t>(decomposed.size() - pos), &cp);
    if (read <= 0) {  // an invalid byte is dropped, like other unprintable input
      ++pos;
      continue;
    }
    pos += static_cast<size_t>(read);
    uint32_t code_point = static_cast<uint32_t>(cp);
    if (is_whitespace(code_point)) {
      out += ' ';
      continue;
    }
    if (code_point == 0 || code_point == 0xFFFD || is_other(code_point)) continue;
    if (utf8proc_category(cp) == UTF8PROC_CATEGORY_MN) continue;  // accents
    code_point = static_cast<uint32_t>(utf8proc_tolower(cp));
    if (is_punctuation(code_point) || is_cjk_ideograph(code_point)) {
      out += ' ';
      append_utf8(out, code_point);
      out += ' ';
    } else {
      append_utf8(out, code_point);
    }
  }
  return out;
}

}  // namespace

void WordPieceEncoder::encode(std::string_view text, bool /*at_boundary*/,
                              std::vector<TokenId>& out, size_t limit) const {
  std::string normalized = normalize_and_space(text);
  std::string_view rest = normalized;
  while (!rest.empty() && out.size() <= limit) {
    size_t start = rest.find_first_not_of(' ');
    if (start == std::string_view::npos) break;
    size_t end = rest.find(' ', start);
    if (end == std::string_view::npos) end = rest.size();
    encode_word(rest.substr(start, end - start), out);
    rest.remove_prefix(end);
  }
}

void WordPieceEncoder::encode_word(std::string_view word, std::vector<TokenId>& out) const {
  std::vector<size_t> boundaries;  // byte offsets of character starts, plus the end
  for (size_t pos = 0; pos < word.size(); pos += utf8_char_length(word, pos))
    boundaries.push_back(pos);
  boundaries.push_back(word.size());
  const size_t characters = boundaries.size() - 1;

  std::vector<TokenId> pieces;
  std::string candidate;
  bool failed = characters > kMaxWordCharacters;
  for (size_t first = 0; first < characters && !failed;) {
    size_t last = characters;
    std::optional<TokenId> found;
    for (; last > first; --last) {
      candidate.assign(first == 0 ? kSpaceMark : std::string_view{});
      candidate.append(word.substr(boundaries[first], boundaries[last] - boundaries[first]));
      found = vocab_.find(candidate);
      if (found) break;
    }
    if (!found) {
      failed = true;
      break;
    }
    pieces.push_back(*found);
    first = last;
  }
  if (failed) {
    if (vocab_.unk) out.push_back(*vocab_.unk);
    return;
  }
  out.insert(out.end(), pieces.begin(), pieces.end());
}

}  // namespace weft::tokenizer
