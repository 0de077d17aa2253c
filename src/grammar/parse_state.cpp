#include "grammar/parse_state.hpp"

#include <algorithm>

#include "weft/error.hpp"

namespace weft::grammar {
namespace {

class Expander {
 public:
  Expander(const Grammar& grammar, std::vector<Stack>& out) : grammar_(grammar), out_(out) {}

  // Rewrites `stack` until its top is a character class (or it is empty: complete), adding
  // one stack per way the rule references on top can begin.
  void expand(Stack stack) {
    while (true) {
      if (++expansions_ > kMaxExpansions) too_ambiguous();
      if (stack.empty()) return emit(std::move(stack));
      uint32_t position = stack.back();
      const Element& element = grammar_.element(position);
      if (element.kind == ElementKind::end) {
        stack.pop_back();
        continue;
      }
      if (element.kind == ElementKind::chars) return emit(std::move(stack));
      // A reference that ends its alternative needs no continuation frame: dropping it keeps
      // right-recursive repetitions (star ::= item star | "") at a constant depth.
      if (grammar_.element(position + 1).kind == ElementKind::end) {
        stack.pop_back();
      } else {
        stack.back() = position + 1;
      }
      const auto& alternatives = grammar_.rule(element.value).alternatives;
      for (size_t i = 0; i + 1 < alternatives.size(); ++i) {
        Stack copy = stack;
        copy.push_back(alternatives[i]);
        expand(std::move(copy));
      }
      stack.push_back(alternatives.back());
    }
  }

 private:
  void emit(Stack stack) {
    if (out_.size() >= kMaxStacks) too_ambiguous();
    out_.push_back(std::move(stack));
  }

  [[noreturn]] static void too_ambiguous() {
    throw Error(ErrorCode::invalid_request, "grammar: too ambiguous: matching needs more than " +
                                                std::to_string(kMaxStacks) + " parse stacks or " +
                                                std::to_string(kMaxExpansions) +
                                                " expansions for one character");
  }

  const Grammar& grammar_;
  std::vector<Stack>& out_;
  size_t expansions_ = 0;
};

void normalize(std::vector<Stack>& stacks) {
  std::sort(stacks.begin(), stacks.end());
  stacks.erase(std::unique(stacks.begin(), stacks.end()), stacks.end());
}

ParseState advance_code_point(const Grammar& grammar, const ParseState& state, char32_t cp) {
  ParseState next;
  Expander expander(grammar, next.stacks);
  for (const Stack& stack : state.stacks) {
    if (stack.empty()) continue;
    const Element& top = grammar.element(stack.back());
    if (!grammar.char_class(top.value).contains(cp)) continue;
    Stack moved = stack;
    moved.back() += 1;
    expander.expand(std::move(moved));
  }
  normalize(next.stacks);
  return next;
}

constexpr char32_t kLowestOfLength[] = {0, 0, 0x80, 0x800, 0x10000};

// Whether some stack can take a well-formed character whose encoding begins with the
// partial bytes: the code points those bytes can still become, less overlong forms,
// surrogates and anything past U+10FFFF.
bool partial_viable(const Grammar& grammar, const ParseState& state) {
  const unsigned shift = 6u * state.partial.remaining;
  char32_t low =
      std::max<char32_t>(state.partial.value << shift, kLowestOfLength[state.partial.length]);
  char32_t high =
      std::min<char32_t>((state.partial.value << shift) | ((char32_t{1} << shift) - 1), 0x10FFFF);
  std::pair<char32_t, char32_t> pieces[2] = {{low, std::min<char32_t>(high, 0xD7FF)},
                                             {std::max<char32_t>(low, 0xE000), high}};
  for (const Stack& stack : state.stacks) {
    if (stack.empty()) continue;
    const CharClass& next = grammar.char_class(grammar.element(stack.back()).value);
    for (const auto& [first, last] : pieces) {
      if (first <= last && next.intersects(first, last)) return true;
    }
  }
  return false;
}

bool well_formed(char32_t cp, uint8_t length) {
  return cp >= kLowestOfLength[length] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}

}  // namespace

bool ParseState::can_end() const {
  return partial.remaining == 0 && !stacks.empty() && stacks.front().empty();
}

ParseState initial_state(const Grammar& grammar) {
  ParseState state;
  Expander expander(grammar, state.stacks);
  for (uint32_t alternative : grammar.rule(grammar.root()).alternatives) {
    expander.expand(Stack{alternative});
  }
  normalize(state.stacks);
  return state;
}

ParseState advance_byte(const Grammar& grammar, const ParseState& state, uint8_t byte) {
  PartialUtf8 partial = state.partial;
  if (partial.remaining == 0) {
    if (byte < 0x80) return advance_code_point(grammar, state, byte);
    if ((byte & 0xE0) == 0xC0) {
      partial = {byte & 0x1Fu, 1, 2};
    } else if ((byte & 0xF0) == 0xE0) {
      partial = {byte & 0x0Fu, 2, 3};
    } else if ((byte & 0xF8) == 0xF0) {
      partial = {byte & 0x07u, 3, 4};
    } else {
      return {};
    }
  } else {
    if ((byte & 0xC0) != 0x80) return {};
    partial.value = (partial.value << 6) | (byte & 0x3Fu);
    partial.remaining -= 1;
    if (partial.remaining == 0) {
      if (!well_formed(partial.value, partial.length)) return {};
      return advance_code_point(grammar, state, partial.value);
    }
  }
  ParseState next{state.stacks, partial};
  if (!partial_viable(grammar, next)) return {};
  return next;
}

ParseState advance_bytes(const Grammar& grammar, ParseState state, std::string_view bytes) {
  for (char c : bytes) {
    if (state.dead()) break;
    state = advance_byte(grammar, state, static_cast<uint8_t>(c));
  }
  return state;
}

bool matches(const Grammar& grammar, std::string_view text) {
  return advance_bytes(grammar, initial_state(grammar), text).can_end();
}

}  // namespace weft::grammar
