#include "grammar/regex_syntax.hpp"

#include <string>

#include "grammar/regex.hpp"
#include "weft/error.hpp"

namespace weft::grammar::regex {
namespace {

using gbnf::CodePointSet;

CodePointSet digit_set() {
  return CodePointSet('0', '9');
}

CodePointSet word_set() {
  CodePointSet set('0', '9');
  set.add('A', 'Z');
  set.add('a', 'z');
  set.add('_');
  return set;
}

// ECMAScript's WhiteSpace and LineTerminator code points.
CodePointSet space_set() {
  CodePointSet set('\t', '\r');
  for (char32_t c : {0x20, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF}) {
    set.add(c);
  }
  set.add(0x2000, 0x200A);
  return set;
}

CodePointSet dot_set() {
  CodePointSet line_terminators('\n', '\n');
  line_terminators.add('\r');
  line_terminators.add(0x2028, 0x2029);
  return line_terminators.complement();
}

bool is_hex(char32_t c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

unsigned hex_value(char32_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

class Parser {
 public:
  explicit Parser(std::string_view pattern) {
    auto code_points = gbnf::decode_utf8(pattern, "regex");
    text_.assign(code_points.begin(), code_points.end());
    if (text_.size() > kMaxRegexLength) {
      throw Error("regex: the pattern is longer than " + std::to_string(kMaxRegexLength) +
                  " characters");
    }
  }

  Node parse_all() {
    Node node = parse_alternation();
    if (pos_ < text_.size()) fail("unbalanced ')'", pos_);
    return node;
  }

 private:
  [[noreturn]] void fail(const std::string& what, size_t at) const {
    throw Error("regex: " + what + " at position " + std::to_string(at));
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char32_t peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : 0;
  }
  bool lookahead(std::u32string_view expected) const {
    for (size_t i = 0; i < expected.size(); ++i) {
      if (pos_ + i >= text_.size() || text_[pos_ + i] != expected[i]) return false;
    }
    return true;
  }

  Node parse_alternation() {
    Node first = parse_sequence();
    if (at_end() || peek() != '|') return first;
    Node alternation = Node::make(Node::Kind::alternation, first.position);
    alternation.children.push_back(std::move(first));
    while (!at_end() && peek() == '|') {
      ++pos_;
      alternation.children.push_back(parse_sequence());
    }
    return alternation;
  }

  Node parse_sequence() {
    Node sequence = Node::make(Node::Kind::sequence, pos_);
    while (!at_end() && peek() != '|' && peek() != ')') {
      Node atom = parse_atom();
      sequence.children.push_back(parse_quantifiers(std::move(atom)));
    }
    return sequence;
  }

  Node parse_quantifiers(Node atom) {
    if (!at_end()) {
      size_t start = pos_;
      size_t min = 0, max = 0;
      bool unbounded = false;
      char32_t c = peek();
      if (c == '*') {
        unbounded = true;
        ++pos_;
      } else if (c == '+') {
        min = 1;
        unbounded = true;
        ++pos_;
      } else if (c == '?') {
        max = 1;
        ++pos_;
      } else if (c != '{' || !parse_braces(min, max, unbounded)) {
        return atom;
      }
      if (atom.kind == Node::Kind::start_anchor || atom.kind == Node::Kind::end_anchor) {
        fail("a quantifier on an anchor", start);
      }
      if (!at_end() && peek() == '?') ++pos_;  // lazy: the same strings match
      Node repeat = Node::make(Node::Kind::repeat, start);
      repeat.min = min;
      repeat.max = max;
      repeat.unbounded = unbounded;
      repeat.children.push_back(std::move(atom));
      if (!at_end() && (peek() == '*' || peek() == '+' || peek() == '?'))
        fail("nothing to repeat", pos_);
      return repeat;
    }
    return atom;
  }

  // {m}, {m,}, {m,n}; anything else leaves `{` a literal (as ECMAScript's Annex B does).
  bool parse_braces(size_t& min, size_t& max, bool& unbounded) {
    size_t cursor = pos_ + 1;
    auto number = [&](size_t& value) {
      size_t start = cursor;
      value = 0;
      while (cursor < text_.size() && text_[cursor] >= '0' && text_[cursor] <= '9') {
        value = std::min<size_t>(value * 10 + (text_[cursor] - '0'), kMaxRegexRepeat + 1);
        ++cursor;
      }
      return cursor > start;
    };
    if (!number(min)) return false;
    if (cursor < text_.size() && text_[cursor] == ',') {
      ++cursor;
      unbounded = !number(max);
    } else {
      max = min;
    }
    if (cursor >= text_.size() || text_[cursor] != '}') return false;
    if (min > kMaxRegexRepeat || (!unbounded && max > kMaxRegexRepeat)) {
      fail("a repeat count above " + std::to_string(kMaxRegexRepeat), pos_);
    }
    if (!unbounded && max < min) fail("a repeat {m,n} with n < m", pos_);
    pos_ = cursor + 1;
    return true;
  }

  Node chars_node(CodePointSet set, size_t at) const {
    Node node = Node::make(Node::Kind::chars, at);
    node.chars = std::move(set);
    return node;
  }

  Node parse_atom() {
    size_t start = pos_;
    char32_t c = text_[pos_++];
    switch (c) {
      case '^':
        return Node::make(Node::Kind::start_anchor, start);
      case '$':
        return Node::make(Node::Kind::end_anchor, start);
      case '.':
        return chars_node(dot_set(), start);
      case '(':
        return parse_group(start);
      case '[':
        return parse_class(start);
      case '\\':
        return parse_atom_escape(start);
      case '*':
      case '+':
      case '?':
        fail("nothing to repeat", start);
      case '{': {
        size_t min = 0, max = 0;
        bool unbounded = false;
        --pos_;
        if (parse_braces(min, max, unbounded)) fail("nothing to repeat", start);
        ++pos_;
        return chars_node(CodePointSet(c, c), start);
      }
      default:
        return chars_node(CodePointSet(c, c), start);
    }
  }

  Node parse_group(size_t start) {
    if (++depth_ > kMaxRegexNesting) {
      fail("groups nested deeper than " + std::to_string(kMaxRegexNesting), start);
    }
    if (lookahead(U"?:")) {
      pos_ += 2;
    } else if (lookahead(U"?=") || lookahead(U"?!")) {
      fail("lookahead '(" + std::string(1, '?') + static_cast<char>(peek(1)) + "' is not supported",
           start);
    } else if (lookahead(U"?<=") || lookahead(U"?<!")) {
      fail("lookbehind is not supported", start);
    } else if (lookahead(U"?<")) {
      pos_ += 2;
      while (!at_end() && peek() != '>') ++pos_;
      if (at_end()) fail("an unterminated group name", start);
      ++pos_;
    } else if (peek() == '?') {
      fail("an unsupported group '(?'", start);
    }
    Node inner = parse_alternation();
    if (at_end() || peek() != ')') fail("an unterminated group", start);
    ++pos_;
    --depth_;
    return inner;
  }

  // An escape outside a class: a class shorthand, an assertion we refuse, or one code point.
  Node parse_atom_escape(size_t start) {
    if (at_end()) fail("a trailing backslash", start);
    char32_t c = peek();
    if (c == 'b' || c == 'B')
      fail("the word-boundary assertion '\\" + std::string(1, static_cast<char>(c)) +
               "' is not supported",
           start);
    if (c >= '1' && c <= '9') fail("backreferences are not supported", start);
    if (c == 'k') fail("named backreferences are not supported", start);
    CodePointSet set;
    if (class_escape(set)) return chars_node(std::move(set), start);
    char32_t code_point = escape_code_point(start);
    return chars_node(CodePointSet(code_point, code_point), start);
  }

  // \d \w \s and their negations; consumes the letter when it is one.
  bool class_escape(CodePointSet& set) {
    switch (peek()) {
      case 'd':
        set = digit_set();
        break;
      case 'D':
        set = digit_set().complement();
        break;
      case 'w':
        set = word_set();
        break;
      case 'W':
        set = word_set().complement();
        break;
      case 's':
        set = space_set();
        break;
      case 'S':
        set = space_set().complement();
        break;
      case 'p':
      case 'P':
        fail("Unicode property escapes are not supported", pos_ - 1);
      default:
        return false;
    }
    ++pos_;
    return true;
  }

  unsigned read_hex(size_t digits, size_t start) {
    unsigned value = 0;
    for (size_t i = 0; i < digits; ++i) {
      if (at_end() || !is_hex(peek())) fail("a malformed hexadecimal escape", start);
      value = value * 16 + hex_value(text_[pos_++]);
    }
    return value;
  }

  // One code point after a backslash (the backslash already consumed).
  char32_t escape_code_point(size_t start) {
    char32_t c = text_[pos_++];
    char32_t result = 0;
    switch (c) {
      case 't':
        result = '\t';
        break;
      case 'n':
        result = '\n';
        break;
      case 'v':
        result = '\v';
        break;
      case 'f':
        result = '\f';
        break;
      case 'r':
        result = '\r';
        break;
      case '0':
        if (!at_end() && peek() >= '0' && peek() <= '9')
          fail("octal escapes are not supported", start);
        result = 0;
        break;
      case 'c':
        if (at_end() || !((peek() >= 'a' && peek() <= 'z') || (peek() >= 'A' && peek() <= 'Z'))) {
          fail("a malformed control escape", start);
        }
        result = text_[pos_++] % 32;
        break;
      case 'x':
        result = read_hex(2, start);
        break;
      case 'u':
        result = unicode_escape(start);
        break;
      default:
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
          fail("an unknown escape '\\" + gbnf::encode_utf8(c) + "'", start);
        }
        result = c;  // an escaped syntax or punctuation character stands for itself
    }
    return result;
  }

  char32_t unicode_escape(size_t start) {
    if (!at_end() && peek() == '{') {
      ++pos_;
      unsigned value = 0;
      size_t digits = 0;
      while (!at_end() && is_hex(peek())) {
        value = value * 16 + hex_value(text_[pos_++]);
        if (++digits > 6 || value > gbnf::kMaxCodePoint) fail("an escape beyond U+10FFFF", start);
      }
      if (digits == 0 || at_end() || peek() != '}') fail("a malformed \\u{...} escape", start);
      ++pos_;
      return value;
    }
    unsigned value = read_hex(4, start);
    // A surrogate pair written as two escapes is one code point.
    if (value >= 0xD800 && value <= 0xDBFF && lookahead(U"\\u")) {
      size_t saved = pos_;
      pos_ += 2;
      unsigned low = 0;
      bool ok = true;
      for (int i = 0; i < 4; ++i) {
        if (at_end() || !is_hex(peek())) {
          ok = false;
          break;
        }
        low = low * 16 + hex_value(text_[pos_++]);
      }
      if (ok && low >= 0xDC00 && low <= 0xDFFF)
        return 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00);
      pos_ = saved;
    }
    return value;
  }

  Node parse_class(size_t start) {
    bool negated = !at_end() && peek() == '^';
    if (negated) ++pos_;
    CodePointSet set;
    while (true) {
      if (at_end()) fail("an unterminated character class", start);
      if (peek() == ']') {
        ++pos_;
        break;
      }
      size_t item_start = pos_;
      CodePointSet item_set;
      char32_t low = 0;
      bool is_set = class_item(low, item_set);
      if (!is_set && peek() == '-' && peek(1) != ']' && pos_ + 1 < text_.size()) {
        ++pos_;
        CodePointSet high_set;
        char32_t high = 0;
        if (class_item(high, high_set)) fail("a range with a class escape as an end", item_start);
        if (high < low) fail("a range out of order", item_start);
        set.add(low, high);
      } else if (is_set) {
        set.add(item_set);
      } else {
        set.add(low);
      }
    }
    if (negated) set = set.complement();
    if (set.empty()) fail("a character class that matches nothing", start);
    return chars_node(std::move(set), start);
  }

  // One class member: returns true with `set` for \d-style escapes, else false with `single`.
  bool class_item(char32_t& single, CodePointSet& set) {
    size_t start = pos_;
    char32_t c = text_[pos_++];
    if (c != '\\') {
      single = c;
      return false;
    }
    if (at_end()) fail("a trailing backslash", start);
    if (class_escape(set)) return true;
    if (peek() == 'b') {  // backspace inside a class
      ++pos_;
      single = '\b';
      return false;
    }
    if (peek() == '-') {
      ++pos_;
      single = '-';
      return false;
    }
    if (peek() >= '1' && peek() <= '9') fail("backreferences are not supported", start);
    single = escape_code_point(start);
    return false;
  }

  std::u32string text_;
  size_t pos_ = 0;
  size_t depth_ = 0;
};

}  // namespace

Node parse(std::string_view pattern) {
  return Parser(pattern).parse_all();
}

}  // namespace weft::grammar::regex
