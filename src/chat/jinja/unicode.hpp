// Python str semantics over UTF-8: strings index, slice, measure and change case by code
// point, and strip Python's set of whitespace characters.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weft::chat::jinja::unicode {

// Decodes UTF-8; an invalid byte becomes one code point of its own value, so that no input
// is lost and no input makes decoding fail.
std::u32string decode(std::string_view text);
std::string encode(std::u32string_view text);
std::string encode(char32_t code_point);
size_t length(std::string_view text);

// str.isspace()
bool is_space(char32_t c);
// Characters at which str.splitlines() breaks.
bool is_line_break(char32_t c);

std::string upper(std::string_view text);
std::string lower(std::string_view text);
std::string capitalize(std::string_view text);  // str.capitalize()
std::string title(std::string_view text);       // str.title()

// str.strip / lstrip / rstrip; `chars` null means whitespace.
std::string strip(std::string_view text, const std::string* chars, bool left, bool right);
// str.splitlines() (without keepends).
std::vector<std::string> split_lines(std::string_view text);

}  // namespace weft::chat::jinja::unicode
