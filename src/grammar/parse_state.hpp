// The matcher's state over a compiled grammar, as llama.cpp keeps it: a set of pushdown
// stacks of element positions, each stack's top the character class that may come next and
// the positions below it where enclosing rules continue; an empty stack means the input so
// far is a complete sentence. Input arrives as bytes, so a UTF-8 sequence may be split
// across calls (and across tokens); the partial sequence is part of the state.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "grammar/grammar_rules.hpp"

namespace weft::grammar {

using Stack = std::vector<uint32_t>;

struct PartialUtf8 {
  uint32_t value = 0;     // the bits read so far
  uint8_t remaining = 0;  // continuation bytes still to come (0: between characters)
  uint8_t length = 0;     // the whole sequence's length, to reject overlong encodings

  bool operator==(const PartialUtf8&) const = default;
};

struct ParseState {
  std::vector<Stack> stacks;  // sorted, no duplicates
  PartialUtf8 partial;

  bool operator==(const ParseState&) const = default;
  bool dead() const { return stacks.empty(); }
  // A complete sentence (more input may still extend it).
  bool can_end() const;
};

// Bounds on the work a single step may do, so an ambiguous grammar fails clearly instead
// of using unbounded time or memory.
inline constexpr size_t kMaxStacks = 4096;
inline constexpr size_t kMaxExpansions = 1 << 16;

ParseState initial_state(const Grammar& grammar);

// The state after one more byte (dead when the byte cannot continue any sentence). Throws
// weft::Error when the grammar is too ambiguous for the bounds above.
ParseState advance_byte(const Grammar& grammar, const ParseState& state, uint8_t byte);

// Feeds every byte; stops early (dead) once nothing can continue.
ParseState advance_bytes(const Grammar& grammar, ParseState state, std::string_view bytes);

}  // namespace weft::grammar
