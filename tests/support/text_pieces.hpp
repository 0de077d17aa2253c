// Small text helpers for comparing what a program printed with a reference.
#pragma once

#include <cstddef>
#include <sstream>
#include <string>
#include <vector>

namespace weft::test {

// Reference files and program output end with newlines the comparisons do not care about.
inline std::string without_trailing_newlines(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// How often `needle` occurs in `text`, overlapping occurrences included.
inline size_t count_occurrences(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// `body` cut before each of the (ascending) offsets: the pieces a stream might arrive in.
inline std::vector<std::string> cut_at(const std::string& body, std::vector<size_t> offsets) {
  std::vector<std::string> pieces;
  size_t start = 0;
  for (size_t offset : offsets) {
    pieces.push_back(body.substr(start, offset - start));
    start = offset;
  }
  pieces.push_back(body.substr(start));
  return pieces;
}

}  // namespace weft::test
