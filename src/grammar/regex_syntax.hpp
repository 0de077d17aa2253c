// The syntax tree of a regular expression in the ECMAScript subset regex.hpp describes.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "grammar/gbnf_writer.hpp"

namespace weft::grammar::regex {

struct Node {
  enum class Kind { chars, sequence, alternation, repeat, start_anchor, end_anchor };
  Kind kind = Kind::sequence;  // an empty sequence matches the empty string
  gbnf::CodePointSet chars;    // chars: one code point of this set
  std::vector<Node> children;  // sequence, alternation; repeat has one
  size_t min = 0;              // repeat
  size_t max = 0;              // repeat, when bounded
  bool unbounded = false;      // repeat
  size_t position = 0;         // in code points from 0, for messages

  static Node make(Kind kind, size_t position) {
    Node node;
    node.kind = kind;
    node.position = position;
    return node;
  }
};

// Parses a pattern; throws weft::Error("regex: ... at position N") for anything unsupported.
Node parse(std::string_view pattern);

}  // namespace weft::grammar::regex
