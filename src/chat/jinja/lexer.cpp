#include "chat/jinja/lexer.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "chat/jinja/unicode.hpp"

namespace weft::chat::jinja {
namespace {

std::string normalize_newlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  return out;
}

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

class Lexer {
 public:
  Lexer(std::string source, const LexerOptions& options)
      : src_(std::move(source)), options_(options) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < src_.size(); ++i) {
      if (src_[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      size_t tag = find_tag_start(pos_);
      std::string text = src_.substr(pos_, tag - pos_);
      if (tag == src_.size()) {
        emit_text(std::move(text), pos_);
        pos_ = tag;
        break;
      }
      char kind = src_[tag + 1];
      char modifier = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      text = strip_before_tag(std::move(text), kind, modifier);
      emit_text(std::move(text), pos_);
      size_t inner = tag + 2 + (modifier == '-' || modifier == '+' ? 1 : 0);
      if (kind == '#') {
        lex_comment(tag, inner);
      } else if (kind == '%' && is_raw_block(inner)) {
        lex_raw(tag, inner);
      } else {
        lex_tag(tag, inner, kind == '{');
      }
    }
    tokens_.push_back({TokenType::eof, "", position(src_.size())});
    return std::move(tokens_);
  }

 private:
  SourcePos position(size_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
    size_t line_index = static_cast<size_t>(it - line_starts_.begin()) - 1;
    size_t start = line_starts_[line_index];
    auto column = unicode::length(std::string_view(src_).substr(start, offset - start)) + 1;
    return {static_cast<int>(line_index + 1), static_cast<int>(column)};
  }

  [[noreturn]] void syntax_error(const std::string& message, size_t offset) const {
    throw TemplateError(TemplateError::Kind::syntax, message, position(offset));
  }

  size_t find_tag_start(size_t from) const {
    for (size_t i = from; i + 1 < src_.size(); ++i) {
      if (src_[i] == '{' && (src_[i + 1] == '{' || src_[i + 1] == '%' || src_[i + 1] == '#'))
        return i;
    }
    return src_.size();
  }

  std::string strip_before_tag(std::string text, char kind, char modifier) {
    if (modifier == '-') {
      size_t end = text.size();
      while (end > 0 && is_blank(text[end - 1])) --end;
      text.resize(end);
    } else if (modifier != '+' && options_.lstrip_blocks && kind != '{') {
      size_t line_start = text.rfind('\n');
      line_start = line_start == std::string::npos ? 0 : line_start + 1;
      bool at_line_start = line_start > 0 || line_starting_;
      bool only_blanks =
          line_start < text.size() &&
          std::all_of(text.begin() + static_cast<long>(line_start), text.end(),
                      [](char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; });
      if (at_line_start && only_blanks) text.resize(line_start);
    }
    return text;
  }

  void emit_text(std::string text, size_t offset) {
    if (!text.empty()) tokens_.push_back({TokenType::text, std::move(text), position(offset)});
  }

  // Records how the text after a tag end must be trimmed, and whether the lexer is at the
  // start of a line (which lets lstrip_blocks act on the next tag).
  size_t finish_tag(size_t after_end, char modifier, bool is_block) {
    if (modifier == '-') {
      size_t i = after_end;
      while (i < src_.size() && is_blank(src_[i])) ++i;
      line_starting_ = i > after_end && src_[i - 1] == '\n';
      return i;
    }
    if (modifier != '+' && is_block && options_.trim_blocks && after_end < src_.size() &&
        src_[after_end] == '\n') {
      line_starting_ = true;
      return after_end + 1;
    }
    line_starting_ = false;
    return after_end;
  }

  void lex_comment(size_t tag, size_t inner) {
    size_t end = src_.find("#}", inner);
    if (end == std::string::npos) syntax_error("unterminated comment", tag);
    char modifier =
        end > inner && (src_[end - 1] == '-' || src_[end - 1] == '+') ? src_[end - 1] : '\0';
    pos_ = finish_tag(end + 2, modifier, true);
  }

  bool is_raw_block(size_t inner) const {
    size_t i = inner;
    while (i < src_.size() && is_blank(src_[i])) ++i;
    if (src_.compare(i, 3, "raw") != 0) return false;
    i += 3;
    while (i < src_.size() && is_blank(src_[i])) ++i;
    if (i < src_.size() && src_[i] == '-') ++i;
    return src_.compare(i, 2, "%}") == 0;
  }

  void lex_raw(size_t tag, size_t inner) {
    size_t close = src_.find("%}", inner);
    char modifier = src_[close - 1] == '-' ? '-' : '\0';
    size_t body = finish_tag(close + 2, modifier, true);
    size_t search = body;
    while (true) {
      size_t start = src_.find("{%", search);
      if (start == std::string::npos) syntax_error("missing {% endraw %} for this raw block", tag);
      size_t i = start + 2;
      char end_modifier = i < src_.size() && (src_[i] == '-' || src_[i] == '+') ? src_[i] : '\0';
      if (end_modifier) ++i;
      while (i < src_.size() && is_blank(src_[i])) ++i;
      if (src_.compare(i, 6, "endraw") == 0) {
        std::string text = src_.substr(body, start - body);
        if (end_modifier == '-') {
          while (!text.empty() && is_blank(text.back())) text.pop_back();
        }
        emit_text(std::move(text), body);
        size_t end = src_.find("%}", i);
        if (end == std::string::npos) syntax_error("unterminated {% endraw %} tag", start);
        char close_modifier = src_[end - 1] == '-' ? '-' : '\0';
        pos_ = finish_tag(end + 2, close_modifier, true);
        return;
      }
      search = start + 2;
    }
  }

  void lex_tag(size_t tag, size_t inner, bool is_variable) {
    tokens_.push_back(
        {is_variable ? TokenType::variable_begin : TokenType::block_begin, "", position(tag)});
    size_t i = inner;
    int nesting = 0;  // brackets open inside the tag: a `}}` there closes a dict, not the tag
    while (true) {
      while (i < src_.size() && is_blank(src_[i])) ++i;
      if (i >= src_.size()) {
        syntax_error(is_variable ? "unexpected end of template, expected '}}'"
                                 : "unexpected end of template, expected '%}'",
                     tag);
      }
      if (nesting == 0) {
        const char* close = is_variable ? "}}" : "%}";
        char modifier = src_[i] == '-' || src_[i] == '+' ? src_[i] : '\0';
        size_t close_at = modifier ? i + 1 : i;
        if (src_.compare(close_at, 2, close) == 0 && !(modifier == '+' && is_variable)) {
          tokens_.push_back(
              {is_variable ? TokenType::variable_end : TokenType::block_end, "", position(i)});
          pos_ = finish_tag(close_at + 2, modifier, !is_variable);
          return;
        }
      }
      i = lex_expression_token(i, nesting);
    }
  }

  size_t lex_expression_token(size_t i, int& nesting) {
    char c = src_[i];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = i;
      while (end < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[end])) || src_[end] == '_'))
        ++end;
      tokens_.push_back({TokenType::name, src_.substr(i, end - i), position(i)});
      return end;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return lex_number(i);
    if (c == '\'' || c == '"') return lex_string(i);
    static const char* const two_char_ops[] = {"//", "**", "==", "!=", "<=", ">="};
    for (const char* op : two_char_ops) {
      if (src_.compare(i, 2, op) == 0) {
        tokens_.push_back({TokenType::op, op, position(i)});
        return i + 2;
      }
    }
    static const std::string single_ops = "+-/*%~()[]{},.:|=<>;!";
    if (single_ops.find(c) != std::string::npos) {
      if (c == '(' || c == '[' || c == '{') ++nesting;
      if (c == ')' || c == ']' || c == '}') {
        if (nesting == 0) syntax_error(std::string("unexpected '") + c + "'", i);
        --nesting;
      }
      tokens_.push_back({TokenType::op, std::string(1, c), position(i)});
      return i + 1;
    }
    syntax_error(
        "unexpected character '" + unicode::encode(unicode::decode(src_.substr(i, 4))[0]) + "'", i);
  }

  size_t lex_number(size_t i) {
    size_t end = i;
    auto digits = [&] {
      while (end < src_.size() &&
             (std::isdigit(static_cast<unsigned char>(src_[end])) || src_[end] == '_'))
        ++end;
    };
    digits();
    bool is_float = false;
    if (end + 1 < src_.size() && src_[end] == '.' &&
        std::isdigit(static_cast<unsigned char>(src_[end + 1]))) {
      is_float = true;
      ++end;
      digits();
    }
    if (end < src_.size() && (src_[end] == 'e' || src_[end] == 'E')) {
      size_t exponent = end + 1;
      if (exponent < src_.size() && (src_[exponent] == '+' || src_[exponent] == '-')) ++exponent;
      if (exponent < src_.size() && std::isdigit(static_cast<unsigned char>(src_[exponent]))) {
        is_float = true;
        end = exponent;
        digits();
      }
    }
    std::string text = src_.substr(i, end - i);
    std::erase(text, '_');
    tokens_.push_back({is_float ? TokenType::floating : TokenType::integer, text, position(i)});
    return end;
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Python's unicode-escape rules; unknown escapes stay as written.
  size_t lex_string(size_t start) {
    char quote = src_[start];
    std::string value;
    size_t i = start + 1;
    while (true) {
      if (i >= src_.size()) syntax_error("unterminated string", start);
      char c = src_[i];
      if (c == quote) break;
      if (c != '\\' || i + 1 >= src_.size()) {
        value += c;
        ++i;
        continue;
      }
      char e = src_[i + 1];
      i += 2;
      switch (e) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case '\\':
          value += '\\';
          break;
        case '\'':
          value += '\'';
          break;
        case '"':
          value += '"';
          break;
        case 'a':
          value += '\a';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'v':
          value += '\v';
          break;
        case '\n':
          break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          size_t count = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          char32_t code_point = 0;
          for (size_t k = 0; k < count; ++k) {
            int digit = i + k < src_.size() ? hex_value(src_[i + k]) : -1;
            if (digit < 0)
              syntax_error(std::string("truncated \\") + e + " escape in string", i - 2);
            code_point = code_point * 16 + static_cast<char32_t>(digit);
          }
          value += unicode::encode(code_point);
          i += count;
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            char32_t code_point = static_cast<char32_t>(e - '0');
            for (int k = 0; k < 2 && i < src_.size() && src_[i] >= '0' && src_[i] <= '7';
                 ++k, ++i) {
              code_point = code_point * 8 + static_cast<char32_t>(src_[i] - '0');
            }
            value += unicode::encode(code_point);
          } else {
            value += '\\';
            value += e;
          }
      }
    }
    tokens_.push_back({TokenType::string, std::move(value), position(start)});
    return i + 1;
  }

  std::string src_;
  LexerOptions options_;
  std::vector<size_t> line_starts_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool line_starting_ = true;
};

}  // namespace

std::vector<Token> tokenize(std::string_view source, const LexerOptions& options) {
  std::string text = normalize_newlines(source);
  if (!options.keep_trailing_newline && !text.empty() && text.back() == '\n') text.pop_back();
  return Lexer(std::move(text), options).run();
}

}  // namespace weft::chat::jinja
