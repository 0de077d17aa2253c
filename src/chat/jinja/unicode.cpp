#include "chat/jinja/unicode.hpp"

#include <utf8proc.h>

namespace weft::chat::jinja::unicode {

std::u32string decode(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    utf8proc_int32_t code_point = 0;
    auto consumed = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + i),
                                     static_cast<utf8proc_ssize_t>(text.size() - i), &code_point);
    if (consumed <= 0) {
      out.push_back(static_cast<unsigned char>(text[i]));
      ++i;
    } else {
      out.push_back(static_cast<char32_t>(code_point));
      i += static_cast<size_t>(consumed);
    }
  }
  return out;
}

std::string encode(char32_t code_point) {
  utf8proc_uint8_t buffer[4];
  auto written = utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), buffer);
  if (written <= 0) return std::string(1, static_cast<char>(code_point & 0xff));
  return std::string(reinterpret_cast<const char*>(buffer), static_cast<size_t>(written));
}

std::string encode(std::u32string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char32_t c : text) out += encode(c);
  return out;
}

size_t length(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) {
    if ((c & 0xc0) != 0x80) ++count;
  }
  return count;
}

bool is_space(char32_t c) {
  return (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x20) || c == 0x85 || c == 0xa0 ||
         c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

bool is_line_break(char32_t c) {
  return (c >= 0x0a && c <= 0x0d) || (c >= 0x1c && c <= 0x1e) || c == 0x85 || c == 0x2028 ||
         c == 0x2029;
}

namespace {

char32_t to_upper(char32_t c) {
  return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(c)));
}
char32_t to_lower(char32_t c) {
  return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c)));
}
bool is_cased_letter(char32_t c) {
  auto category = utf8proc_category(static_cast<utf8proc_int32_t>(c));
  return category == UTF8PROC_CATEGORY_LU || category == UTF8PROC_CATEGORY_LL ||
         category == UTF8PROC_CATEGORY_LT;
}

}  // namespace

std::string upper(std::string_view text) {
  auto chars = decode(text);
  for (auto& c : chars) c = to_upper(c);
  return encode(chars);
}

std::string lower(std::string_view text) {
  auto chars = decode(text);
  for (auto& c : chars) c = to_lower(c);
  return encode(chars);
}

std::string capitalize(std::string_view text) {
  auto chars = decode(text);
  for (size_t i = 0; i < chars.size(); ++i)
    chars[i] = i == 0 ? to_upper(chars[i]) : to_lower(chars[i]);
  return encode(chars);
}

std::string title(std::string_view text) {
  auto chars = decode(text);
  bool previous_cased = false;
  for (auto& c : chars) {
    bool cased = is_cased_letter(c);
    if (cased) c = previous_cased ? to_lower(c) : to_upper(c);
    previous_cased = cased;
  }
  return encode(chars);
}

std::string strip(std::string_view text, const std::string* chars, bool left, bool right) {
  auto code_points = decode(text);
  std::u32string strip_set = chars ? decode(*chars) : std::u32string();
  auto strippable = [&](char32_t c) {
    return chars ? strip_set.find(c) != std::u32string::npos : is_space(c);
  };
  size_t begin = 0;
  size_t end = code_points.size();
  if (left) {
    while (begin < end && strippable(code_points[begin])) ++begin;
  }
  if (right) {
    while (end > begin && strippable(code_points[end - 1])) --end;
  }
  return encode(std::u32string_view(code_points).substr(begin, end - begin));
}

std::vector<std::string> split_lines(std::string_view text) {
  auto code_points = decode(text);
  std::vector<std::string> lines;
  std::u32string current;
  for (size_t i = 0; i < code_points.size(); ++i) {
    char32_t c = code_points[i];
    if (!is_line_break(c)) {
      current.push_back(c);
      continue;
    }
    if (c == '\r' && i + 1 < code_points.size() && code_points[i + 1] == '\n') ++i;
    lines.push_back(encode(current));
    current.clear();
  }
  if (!current.empty()) lines.push_back(encode(current));
  return lines;
}

}  // namespace weft::chat::jinja::unicode
