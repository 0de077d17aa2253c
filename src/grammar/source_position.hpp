// Where in the GBNF text something is, as people count: 1-based line and column (in
// characters), for messages "grammar:LINE:COL: ...".
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace weft::grammar {

// "LINE:COL" of a byte offset.
std::string describe_position(std::string_view text, size_t offset);

// Throws weft::Error(invalid_request) "grammar:LINE:COL: what".
[[noreturn]] void throw_at(std::string_view text, size_t offset, const std::string& what);

}  // namespace weft::grammar
