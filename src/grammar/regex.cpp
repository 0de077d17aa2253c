#include "grammar/regex.hpp"

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "grammar/regex_syntax.hpp"
#include "weft/error.hpp"

namespace weft::grammar {
namespace {

using gbnf::CodePointSet;
using regex::Node;

std::string join(const std::vector<std::string>& parts, std::string_view separator) {
  std::string out;
  for (const auto& part : parts) {
    if (part.empty()) continue;
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

std::string quantifier(const Node& repeat) {
  std::optional<size_t> max;
  if (!repeat.unbounded) max = repeat.max;
  return gbnf::repeat_suffix(repeat.min, max);
}

CodePointSet json_escaped_set() {
  CodePointSet set(0, 0x1F);
  set.add('"');
  set.add('\\');
  return set;
}

char hex_digit(unsigned value) {
  return "0123456789abcdef"[value & 15];
}

// The ways JSON spells a control character inside a string: its short escape if it has
// one, and \u00XX with either case of hex digit.
std::vector<std::string> control_spellings(char32_t control) {
  std::vector<std::string> spellings;
  char short_escape = 0;
  switch (control) {
    case '\b':
      short_escape = 'b';
      break;
    case '\t':
      short_escape = 't';
      break;
    case '\n':
      short_escape = 'n';
      break;
    case '\f':
      short_escape = 'f';
      break;
    case '\r':
      short_escape = 'r';
      break;
    default:
      break;
  }
  if (short_escape != 0) spellings.push_back(gbnf::literal(std::string("\\") + short_escape));
  char low = hex_digit(control);
  std::string prefix = gbnf::literal(std::string("\\u00") + hex_digit(control >> 4));
  if (low >= 'a') {
    CodePointSet either_case(static_cast<char32_t>(low), static_cast<char32_t>(low));
    either_case.add(static_cast<char32_t>(low - 'a' + 'A'));
    spellings.push_back(prefix + " " + gbnf::char_class(either_case));
  } else {
    spellings.push_back(gbnf::literal(std::string("\\u00") + hex_digit(control >> 4) + low));
  }
  return spellings;
}

class Emitter {
 public:
  Emitter(gbnf::RuleSet& rules, RegexSpelling spelling, std::string_view hint)
      : rules_(rules), spelling_(spelling), hint_(hint) {}

  std::string pattern_rule(const Node& root) {
    std::vector<const Node*> branches;
    if (root.kind == Node::Kind::alternation) {
      for (const auto& child : root.children) branches.push_back(&child);
    } else {
      branches.push_back(&root);
    }
    std::vector<std::string> alternatives;
    bool accepts_empty = false;
    for (const Node* branch : branches) {
      std::string alternative = anchored_branch(*branch);
      if (alternative.empty()) {
        accepts_empty = true;
      } else {
        alternatives.push_back(alternative);
      }
    }
    std::string body;
    if (alternatives.empty()) {
      body = "\"\"";
    } else if (accepts_empty) {
      body = "( " + join(alternatives, " | ") + " )?";
    } else {
      body = join(alternatives, " | ");
    }
    return rules_.add(hint_, body);
  }

 private:
  // A top-level branch: ^ and $ at its edges pin it to the string's ends; a side without one
  // may be preceded or followed by anything.
  std::string anchored_branch(const Node& branch) {
    std::vector<const Node*> items;
    if (branch.kind == Node::Kind::sequence) {
      for (const auto& child : branch.children) items.push_back(&child);
    } else {
      items.push_back(&branch);
    }
    size_t first = 0, last = items.size();
    bool starts = false, ends = false;
    while (first < last && items[first]->kind == Node::Kind::start_anchor) {
      starts = true;
      ++first;
    }
    while (last > first && items[last - 1]->kind == Node::Kind::end_anchor) {
      ends = true;
      --last;
    }
    Node body = Node::make(Node::Kind::sequence, branch.position);
    for (size_t i = first; i < last; ++i) {
      reject_inner_anchors(*items[i]);
      body.children.push_back(*items[i]);
    }
    std::string inner = expression(body);
    if (inner.empty()) return starts && ends ? "" : anything();
    return join({starts ? "" : anything(), inner, ends ? "" : anything()}, " ");
  }

  static void reject_inner_anchors(const Node& node) {
    if (node.kind == Node::Kind::start_anchor || node.kind == Node::Kind::end_anchor) {
      throw Error("regex: the anchor '" +
                  std::string(node.kind == Node::Kind::start_anchor ? "^" : "$") +
                  "' at position " + std::to_string(node.position) +
                  " is only supported at the start or end of the pattern or of a top-level "
                  "alternative");
    }
    for (const auto& child : node.children) reject_inner_anchors(child);
  }

  std::string anything() {
    if (spelling_ == RegexSpelling::text) {
      return rules_.add("any-text", gbnf::char_class(CodePointSet::all()) + "*");
    }
    return rules_.add("json-char", gbnf::json_string_char_body()) + "*";
  }

  // The GBNF for a node, "" when it matches only the empty string.
  std::string expression(const Node& node) {
    switch (node.kind) {
      case Node::Kind::chars:
        return spelled(node.chars);
      case Node::Kind::sequence:
        return sequence(node);
      case Node::Kind::alternation: {
        std::vector<std::string> alternatives;
        bool accepts_empty = false;
        for (const auto& child : node.children) {
          std::string alternative = expression(child);
          accepts_empty |= alternative.empty();
          alternatives.push_back(alternative);
        }
        std::string joined = join(alternatives, " | ");
        if (joined.empty()) return "";
        return "( " + joined + " )" + (accepts_empty ? "?" : "");
      }
      case Node::Kind::repeat: {
        const Node& child = node.children.front();
        if (!node.unbounded && node.max == 0) return "";
        if (nullable(child)) {
          // X{m,n} with X matching "" is (X without "") {0,n}: GBNF refuses open
          // repetitions of items that match nothing, and the bounded ones are ambiguous.
          auto inner = nonempty(child);
          if (!inner) return "";
          Node relaxed = node;
          relaxed.min = 0;
          return "( " + *inner + " )" + quantifier(relaxed);
        }
        return "( " + expression(child) + " )" + quantifier(node);
      }
      case Node::Kind::start_anchor:
      case Node::Kind::end_anchor:
        reject_inner_anchors(node);
    }
    return "";
  }

  static bool nullable(const Node& node) {
    switch (node.kind) {
      case Node::Kind::chars:
        return false;
      case Node::Kind::sequence:
        return std::all_of(node.children.begin(), node.children.end(), nullable);
      case Node::Kind::alternation:
        return std::any_of(node.children.begin(), node.children.end(), nullable);
      case Node::Kind::repeat:
        return node.min == 0 || nullable(node.children.front());
      default:
        return true;  // anchors match no characters
    }
  }

  // The GBNF for the non-empty strings a node matches; nullopt when it matches none.
  std::optional<std::string> nonempty(const Node& node) {
    switch (node.kind) {
      case Node::Kind::chars:
        return spelled(node.chars);
      case Node::Kind::alternation: {
        std::vector<std::string> alternatives;
        for (const auto& child : node.children) {
          if (auto alternative = nonempty(child)) alternatives.push_back(*alternative);
        }
        if (alternatives.empty()) return std::nullopt;
        return "( " + join(alternatives, " | ") + " )";
      }
      case Node::Kind::repeat: {
        if (!node.unbounded && node.max == 0) return std::nullopt;
        const Node& child = node.children.front();
        if (!nullable(child) && node.min > 0) return expression(node);
        auto inner = nonempty(child);
        if (!inner) return std::nullopt;
        Node at_least_one = node;
        at_least_one.min = 1;
        return "( " + *inner + " )" + quantifier(at_least_one);
      }
      case Node::Kind::sequence:
        return nonempty_suffix(node, 0);
      default:
        return std::nullopt;
    }
  }

  // Non-empty strings of children[first..]: the first child non-empty then anything, or
  // (when the first can be empty) non-empty strings of the rest.
  std::optional<std::string> nonempty_suffix(const Node& sequence, size_t first) {
    if (first == sequence.children.size()) return std::nullopt;
    const Node& head = sequence.children[first];
    Node rest = Node::make(Node::Kind::sequence, head.position);
    rest.children.assign(sequence.children.begin() + static_cast<std::ptrdiff_t>(first) + 1,
                         sequence.children.end());
    std::vector<std::string> alternatives;
    if (auto head_text = nonempty(head)) {
      alternatives.push_back(join({*head_text, shared(expression(rest))}, " "));
    }
    if (nullable(head)) {
      if (auto tail = nonempty_suffix(sequence, first + 1)) alternatives.push_back(shared(*tail));
    }
    if (alternatives.empty()) return std::nullopt;
    if (alternatives.size() == 1) return alternatives.front();
    return "( " + join(alternatives, " | ") + " )";
  }

  // Long expressions used more than once become rules.
  std::string shared(const std::string& expression) {
    if (expression.size() <= 64) return expression;
    return rules_.add(hint_ + "-part", expression);
  }

  bool spelled_as_itself(char32_t code_point) const {
    return spelling_ == RegexSpelling::text || !json_escaped_set().contains(code_point);
  }

  // Runs of single code points become one literal.
  std::string sequence(const Node& node) {
    std::vector<std::string> parts;
    std::vector<char32_t> run;
    auto flush = [&] {
      if (!run.empty()) parts.push_back(gbnf::literal_code_points(run));
      run.clear();
    };
    for (const auto& child : node.children) {
      const auto& ranges = child.chars.ranges();
      bool single = child.kind == Node::Kind::chars && ranges.size() == 1 &&
                    ranges.front().first == ranges.front().last;
      if (single && spelled_as_itself(ranges.front().first)) {
        run.push_back(ranges.front().first);
        continue;
      }
      flush();
      parts.push_back(expression(child));
    }
    flush();
    return join(parts, " ");
  }

  std::string spelled(const CodePointSet& set) {
    const auto& ranges = set.ranges();
    if (ranges.size() == 1 && ranges.front().first == ranges.front().last &&
        spelled_as_itself(ranges.front().first)) {
      return gbnf::literal_code_points({ranges.front().first});
    }
    if (spelling_ == RegexSpelling::text) return gbnf::char_class(set);
    CodePointSet escaped = json_escaped_set();
    std::vector<std::string> alternatives;
    CodePointSet raw = set.minus(escaped);
    if (!raw.empty()) alternatives.push_back(gbnf::char_class(raw));
    if (set.contains('"')) alternatives.push_back(gbnf::literal("\\\""));
    if (set.contains('\\')) alternatives.push_back(gbnf::literal("\\\\"));
    CodePointSet controls = set.intersect(CodePointSet(0, 0x1F));
    if (controls == CodePointSet(0, 0x1F)) {
      alternatives.push_back(gbnf::literal("\\") + " [bfnrt]");
      alternatives.push_back(gbnf::literal("\\u00") + " [01] [0-9A-Fa-f]");
    } else {
      for (const auto& range : controls.ranges()) {
        for (char32_t control = range.first; control <= range.last; ++control) {
          for (auto& spelling : control_spellings(control)) alternatives.push_back(spelling);
        }
      }
    }
    if (alternatives.size() == 1) return alternatives.front();
    return rules_.add(hint_ + "-char", join(alternatives, " | "));
  }

  gbnf::RuleSet& rules_;
  RegexSpelling spelling_;
  std::string hint_;
};

}  // namespace

std::string add_regex_rules(gbnf::RuleSet& rules, std::string_view pattern, RegexSpelling spelling,
                            std::string_view name_hint) {
  Node root = regex::parse(pattern);
  return Emitter(rules, spelling, name_hint).pattern_rule(root);
}

std::string regex_to_gbnf(std::string_view pattern) {
  gbnf::RuleSet rules(kMaxRegexGrammarBytes);
  std::string name = add_regex_rules(rules, pattern, RegexSpelling::text, "pattern");
  return rules.render(name);
}

std::string whole_text_regex_to_gbnf(std::string_view pattern) {
  // The converter reads a pattern as JSON Schema does (a match anywhere unless anchored), so
  // the pattern is anchored at both ends, its own anchors (if any) folded into those.
  if (!pattern.empty() && pattern.front() == '^') pattern.remove_prefix(1);
  size_t backslashes = 0;
  while (pattern.size() >= backslashes + 2 && pattern[pattern.size() - 2 - backslashes] == '\\') {
    ++backslashes;
  }
  if (!pattern.empty() && pattern.back() == '$' && backslashes % 2 == 0) pattern.remove_suffix(1);
  return regex_to_gbnf("^(?:" + std::string(pattern) + ")$");
}

}  // namespace weft::grammar
