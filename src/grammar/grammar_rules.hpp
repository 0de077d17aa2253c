// The compiled form of a GBNF grammar: every rule's alternatives laid out in one flat array
// of elements, each alternative ending with an `end` element. Repetitions, groups and string
// literals are already lowered to plain rules, character classes and rule references, so a
// matcher needs to know only these three kinds of element.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "grammar/grammar.hpp"

namespace weft::grammar {

// A set of code points: inclusive ranges, possibly negated (`[^...]`, and `.` is the
// negation of nothing). ASCII membership is precomputed because most tests are ASCII.
class CharClass {
 public:
  CharClass(std::vector<std::pair<char32_t, char32_t>> ranges, bool negated);

  bool contains(char32_t code_point) const {
    if (code_point < 128) return (ascii_[code_point >> 6] >> (code_point & 63)) & 1;
    return contains_slow(code_point);
  }
  // Whether some code point in [low, high] is in the set (for a partial UTF-8 sequence).
  bool intersects(char32_t low, char32_t high) const;

  const std::vector<std::pair<char32_t, char32_t>>& ranges() const { return ranges_; }
  bool negated() const { return negated_; }

 private:
  bool contains_slow(char32_t code_point) const;

  std::vector<std::pair<char32_t, char32_t>> ranges_;
  bool negated_;
  std::array<uint64_t, 2> ascii_{};
};

enum class ElementKind : uint8_t {
  end,    // the alternative is complete
  chars,  // one code point of classes[value]
  rule,   // a reference to rules[value]
};

struct Element {
  ElementKind kind;
  uint32_t value;
};

struct Rule {
  std::string name;                    // generated rules are named after their origin
  std::vector<uint32_t> alternatives;  // index in elements of each alternative's first
};

class Grammar {
 public:
  Grammar(std::vector<Element> elements, std::vector<CharClass> classes, std::vector<Rule> rules,
          uint32_t root)
      : elements_(std::move(elements)),
        classes_(std::move(classes)),
        rules_(std::move(rules)),
        root_(root) {}

  const Element& element(uint32_t index) const { return elements_[index]; }
  const CharClass& char_class(uint32_t index) const { return classes_[index]; }
  const Rule& rule(uint32_t index) const { return rules_[index]; }
  uint32_t root() const { return root_; }
  size_t rule_count() const { return rules_.size(); }
  size_t element_count() const { return elements_.size(); }

 private:
  std::vector<Element> elements_;
  std::vector<CharClass> classes_;
  std::vector<Rule> rules_;
  uint32_t root_;
};

}  // namespace weft::grammar
