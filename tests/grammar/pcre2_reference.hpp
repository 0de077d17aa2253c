// PCRE2 as the independent reference for the regex converter's verdicts: whether a pattern
// finds a match somewhere in a string (JSON Schema's meaning of `pattern`). Options bring
// PCRE2 close to ECMAScript: UTF-8 code points, \uHHHH escapes, `$` only at the very end,
// and `.` excluding the line terminators (tests keep \v \f U+0085 out of their strings,
// the only ones PCRE2 counts too).
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace weft::grammar::testing {

class Pcre2Reference {
 public:
  explicit Pcre2Reference(std::string_view pattern) {
    pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
    pcre2_set_newline(context, PCRE2_NEWLINE_ANY);
    int error_code = 0;
    PCRE2_SIZE error_offset = 0;
    code_ = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                          PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY, &error_code,
                          &error_offset, context);
    pcre2_compile_context_free(context);
    if (code_ == nullptr) throw std::runtime_error("PCRE2 refuses " + std::string(pattern));
    match_ = pcre2_match_data_create_from_pattern(code_, nullptr);
  }
  ~Pcre2Reference() {
    pcre2_match_data_free(match_);
    pcre2_code_free(code_);
  }
  Pcre2Reference(const Pcre2Reference&) = delete;
  Pcre2Reference& operator=(const Pcre2Reference&) = delete;

  bool finds_match_in(std::string_view text) const {
    int rc = pcre2_match(code_, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0, 0,
                         match_, nullptr);
    if (rc < PCRE2_ERROR_NOMATCH) throw std::runtime_error("PCRE2 match error");
    return rc >= 0;
  }

 private:
  pcre2_code* code_ = nullptr;
  pcre2_match_data* match_ = nullptr;
};

}  // namespace weft::grammar::testing
