// GBNF text to a compiled Grammar: a recursive-descent reader of llama.cpp's grammar
// language that lowers groups, literals and repetitions to plain rules as it goes, then
// checks the whole (root present, every reference defined, no left recursion) before
// flattening it.
#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include <utf8proc.h>

#include "grammar/grammar_checks.hpp"
#include "grammar/grammar_rules.hpp"
#include "grammar/source_position.hpp"
#include "weft/error.hpp"

namespace weft::grammar {
namespace {

// Repetition bounds above this are refused before any expansion is attempted.
constexpr uint64_t kMaxRepetitionBound = 1'000'000;
constexpr uint64_t kUnbounded = UINT64_MAX;
constexpr size_t kNoItem = SIZE_MAX;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

class Parser {
 public:
  Parser(std::string_view text, const Limits& limits) : text_(text), limits_(limits) {}

  std::shared_ptr<const Grammar> parse() {
    if (text_.size() > limits_.max_bytes) {
      fail(0, "the grammar is " + std::to_string(text_.size()) + " bytes, over the limit of " +
                  std::to_string(limits_.max_bytes));
    }
    skip_space(true);
    while (!at_end()) parse_rule();
    return finish();
  }

 private:
  struct RepetitionSite {
    Sequence item;
    size_t offset;
  };

  bool at_end() const { return pos_ >= text_.size(); }
  char peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }

  [[noreturn]] void fail(size_t offset, const std::string& what) const {
    throw_at(text_, offset, what);
  }

  void skip_space(bool newlines_ok) {
    while (!at_end()) {
      char c = peek();
      if (c == '#') {
        while (!at_end() && peek() != '\n' && peek() != '\r') ++pos_;
      } else if (c == ' ' || c == '\t' || (newlines_ok && (c == '\r' || c == '\n'))) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  std::string parse_name() {
    size_t start = pos_;
    while (!at_end() && is_name_char(peek())) ++pos_;
    if (pos_ == start) fail(start, "expecting a rule name");
    return std::string(text_.substr(start, pos_ - start));
  }

  uint32_t rule_for_name(const std::string& name, size_t offset) {
    auto [it, inserted] = rule_by_name_.emplace(name, static_cast<uint32_t>(rules_.size()));
    if (inserted) {
      if (++named_rules_ > limits_.max_rules) {
        fail(offset, "more than " + std::to_string(limits_.max_rules) + " rules");
      }
      rules_.push_back(DraftRule{name, {}, false, offset});
    }
    return it->second;
  }

  uint32_t new_generated_rule(const std::string& origin, std::vector<Sequence> alternatives) {
    for (const Sequence& alternative : alternatives) count_elements(alternative.size() + 1);
    auto index = static_cast<uint32_t>(rules_.size());
    rules_.push_back(
        DraftRule{origin + "-" + std::to_string(index), std::move(alternatives), true, pos_});
    return index;
  }

  void count_elements(size_t count) {
    element_total_ += count;
    if (element_total_ > limits_.max_elements) {
      fail(pos_, "the grammar expands to more than " + std::to_string(limits_.max_elements) +
                     " elements (repetition counts included)");
    }
  }

  void parse_rule() {
    size_t name_offset = pos_;
    std::string name = parse_name();
    uint32_t index = rule_for_name(name, name_offset);
    if (rules_[index].defined) fail(name_offset, "rule '" + name + "' is defined twice");
    rules_[index].defined = true;
    rules_[index].offset = name_offset;
    skip_space(false);
    if (text_.substr(pos_, 3) != "::=") fail(pos_, "expecting '::=' after the rule name");
    pos_ += 3;
    skip_space(true);
    std::vector<Sequence> alternatives = parse_alternatives(name, 0);
    rules_[index].alternatives = std::move(alternatives);
    if (peek() == '\r') {
      pos_ += peek(1) == '\n' ? 2 : 1;
    } else if (peek() == '\n') {
      ++pos_;
    } else if (!at_end()) {
      fail(pos_, std::string("unexpected '") + peek() + "', expecting a newline or the end");
    }
    skip_space(true);
  }

  std::vector<Sequence> parse_alternatives(const std::string& rule_name, size_t depth) {
    std::vector<Sequence> alternatives;
    alternatives.push_back(parse_sequence(rule_name, depth));
    while (peek() == '|') {
      ++pos_;
      skip_space(true);
      alternatives.push_back(parse_sequence(rule_name, depth));
    }
    return alternatives;
  }

  Sequence parse_sequence(const std::string& rule_name, size_t depth) {
    const bool nested = depth > 0;
    Sequence sequence;
    size_t last_item = kNoItem;  // where the item a repetition applies to starts
    while (!at_end()) {
      char c = peek();
      size_t item_start = sequence.size();
      if (c == '"') {
        size_t open = pos_++;
        while (peek() != '"') {
          if (at_end()) fail(open, "unterminated string literal");
          char32_t cp = parse_char();
          push_symbol(sequence, {ElementKind::chars, add_class({{cp, cp}}, false)});
        }
        ++pos_;
        last_item = item_start;
      } else if (c == '[') {
        parse_class(sequence);
        last_item = item_start;
      } else if (c == '.') {
        ++pos_;
        push_symbol(sequence, {ElementKind::chars, add_class({}, true)});
        last_item = item_start;
      } else if (is_name_char(c)) {
        size_t offset = pos_;
        std::string name = parse_name();
        push_symbol(sequence, {ElementKind::rule, rule_for_name(name, offset)});
        last_item = item_start;
      } else if (c == '(') {
        size_t open = pos_;
        if (depth + 1 > limits_.max_nesting) {
          fail(open, "groups nested more than " + std::to_string(limits_.max_nesting) + " deep");
        }
        ++pos_;
        skip_space(true);
        std::vector<Sequence> inner = parse_alternatives(rule_name, depth + 1);
        if (peek() != ')')
          fail(pos_,
               "expecting ')' to close the group opened at " + describe_position(text_, open));
        ++pos_;
        push_symbol(sequence, {ElementKind::rule, new_generated_rule(rule_name, std::move(inner))});
        last_item = item_start;
      } else if (c == '*' || c == '+' || c == '?' || c == '{') {
        if (last_item == kNoItem)
          fail(pos_, std::string("'") + c + "' has no item before it to repeat");
        size_t op = pos_;
        auto [min, max] = parse_repetition_bounds();
        apply_repetition(sequence, last_item, min, max, rule_name, op);
        last_item = kNoItem;  // "x**" repeats nothing: as in llama.cpp, that is an error
      } else {
        break;
      }
      skip_space(nested);
    }
    return sequence;
  }

  void push_symbol(Sequence& sequence, Element element) {
    count_elements(1);
    sequence.push_back(element);
  }

  // `?` `*` `+` `{m}` `{m,}` `{m,n}`; an open maximum is kUnbounded.
  std::pair<uint64_t, uint64_t> parse_repetition_bounds() {
    char c = peek();
    ++pos_;
    if (c == '*') return {0, kUnbounded};
    if (c == '+') return {1, kUnbounded};
    if (c == '?') return {0, 1};
    skip_space(true);
    uint64_t min = parse_count();
    skip_space(true);
    uint64_t max = min;
    if (peek() == ',') {
      ++pos_;
      skip_space(true);
      max = is_digit(peek()) ? parse_count() : kUnbounded;
      skip_space(true);
    }
    if (peek() != '}') fail(pos_, "expecting '}' to close the repetition count");
    ++pos_;
    if (max < min) {
      fail(pos_ - 1, "repetition maximum " + std::to_string(max) + " is below its minimum " +
                         std::to_string(min));
    }
    return {min, max};
  }

  uint64_t parse_count() {
    size_t start = pos_;
    while (is_digit(peek())) ++pos_;
    if (start == pos_) fail(start, "expecting a number");
    uint64_t value = 0;
    auto digits = text_.substr(start, pos_ - start);
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || value > kMaxRepetitionBound) {
      fail(start, "repetition count " + std::string(digits) + " is too large");
    }
    return value;
  }

  void apply_repetition(Sequence& sequence, size_t item_start, uint64_t min, uint64_t max,
                        const std::string& rule_name, size_t op) {
    Sequence item(sequence.begin() + static_cast<std::ptrdiff_t>(item_start), sequence.end());
    sequence.resize(item_start);
    element_total_ -= item.size();
    if (item.size() > 1) {  // a literal of several characters repeats as a whole
      item = {{ElementKind::rule, new_generated_rule(rule_name, {item})}};
    }
    const uint64_t optional_copies = max == kUnbounded ? 0 : max - min;
    const uint64_t cost = (min + 2 * optional_copies + 2) * item.size();
    if (element_total_ + cost > limits_.max_elements) {
      fail(op, "the repetition expands to more than " + std::to_string(limits_.max_elements) +
                   " elements");
    }
    for (uint64_t i = 0; i < min; ++i) {
      for (const Element& element : item) push_symbol(sequence, element);
    }
    if (max == kUnbounded) {  // star ::= item star | ""
      auto star = new_generated_rule(rule_name, {});
      Sequence repeat = item;
      repeat.push_back({ElementKind::rule, star});
      count_elements(repeat.size() + 2);
      rules_[star].alternatives = {repeat, {}};
      open_repetitions_.push_back({item, op});
      push_symbol(sequence, {ElementKind::rule, star});
      return;
    }
    // up to k more: optional_k ::= item optional_{k-1} | ""
    std::optional<uint32_t> tail;
    for (uint64_t k = 0; k < optional_copies; ++k) {
      Sequence more = item;
      if (tail) more.push_back({ElementKind::rule, *tail});
      tail = new_generated_rule(rule_name, {more, {}});
    }
    if (tail) push_symbol(sequence, {ElementKind::rule, *tail});
  }

  void parse_class(Sequence& sequence) {
    size_t open = pos_;
    ++pos_;
    bool negated = false;
    if (peek() == '^') {
      negated = true;
      ++pos_;
    }
    std::vector<std::pair<char32_t, char32_t>> ranges;
    while (peek() != ']') {
      if (at_end()) fail(open, "unterminated character class");
      size_t start = pos_;
      char32_t low = parse_char();
      char32_t high = low;
      if (peek() == '-' && peek(1) != ']' && pos_ + 1 < text_.size()) {
        ++pos_;
        high = parse_char();
        if (high < low) fail(start, "character range ends before it starts");
      }
      ranges.emplace_back(low, high);
    }
    ++pos_;
    push_symbol(sequence, {ElementKind::chars, add_class(std::move(ranges), negated)});
  }

  char32_t parse_hex(size_t digits) {
    size_t start = pos_;
    uint32_t value = 0;
    for (size_t i = 0; i < digits; ++i) {
      char c = peek();
      uint32_t nibble = 0;
      if (c >= '0' && c <= '9') {
        nibble = static_cast<uint32_t>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        nibble = static_cast<uint32_t>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        nibble = static_cast<uint32_t>(c - 'A' + 10);
      } else {
        fail(pos_, "expecting " + std::to_string(digits) + " hex digits");
      }
      value = value * 16 + nibble;
      ++pos_;
    }
    if (value > 0x10FFFF) fail(start, "code point beyond U+10FFFF");
    return value;
  }

  // One character of a literal or class: an escape or one UTF-8 encoded code point.
  char32_t parse_char() {
    size_t start = pos_;
    if (peek() == '\\') {
      ++pos_;
      char e = peek();
      ++pos_;
      switch (e) {
        case 'x':
          return parse_hex(2);
        case 'u':
          return parse_hex(4);
        case 'U':
          return parse_hex(8);
        case 't':
          return '\t';
        case 'r':
          return '\r';
        case 'n':
          return '\n';
        case '\\':
        case '"':
        case '[':
        case ']':
        case '-':
          return static_cast<unsigned char>(e);
        default:
          fail(start, std::string("unknown escape '\\") + e + "'");
      }
    }
    utf8proc_int32_t code_point = 0;
    auto consumed =
        utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text_.data() + pos_),
                         static_cast<utf8proc_ssize_t>(text_.size() - pos_), &code_point);
    if (consumed <= 0) fail(start, "invalid UTF-8");
    pos_ += static_cast<size_t>(consumed);
    return static_cast<char32_t>(code_point);
  }

  uint32_t add_class(std::vector<std::pair<char32_t, char32_t>> ranges, bool negated) {
    auto key = std::make_pair(ranges, negated);
    auto found = class_index_.find(key);
    if (found != class_index_.end()) return found->second;
    auto index = static_cast<uint32_t>(classes_.size());
    classes_.emplace_back(std::move(ranges), negated);
    class_index_.emplace(std::move(key), index);
    return index;
  }

  std::shared_ptr<const Grammar> finish() {
    auto root = rule_by_name_.find("root");
    if (root == rule_by_name_.end() || !rules_[root->second].defined) {
      fail(text_.size(), "the grammar has no 'root' rule");
    }
    for (const DraftRule& rule : rules_) {
      if (!rule.defined) fail(rule.offset, "undefined rule '" + rule.name + "'");
    }
    std::vector<bool> nullable = nullable_rules(rules_);
    for (const RepetitionSite& site : open_repetitions_) {
      if (sequence_nullable(site.item, nullable)) {
        fail(site.offset,
             "an open repetition of an item that can match nothing (this would "
             "loop forever); make the item match at least one character");
      }
    }
    check_left_recursion(rules_, nullable, text_);
    return flatten(rules_, std::move(classes_), root->second);
  }

  std::string_view text_;
  Limits limits_;
  size_t pos_ = 0;
  std::vector<DraftRule> rules_;
  std::map<std::string, uint32_t, std::less<>> rule_by_name_;
  size_t named_rules_ = 0;
  size_t element_total_ = 0;
  std::vector<CharClass> classes_;
  std::map<std::pair<std::vector<std::pair<char32_t, char32_t>>, bool>, uint32_t> class_index_;
  std::vector<RepetitionSite> open_repetitions_;
};

}  // namespace

std::shared_ptr<const Grammar> parse_gbnf(std::string_view text, const Limits& limits) {
  return Parser(text, limits).parse();
}

}  // namespace weft::grammar
