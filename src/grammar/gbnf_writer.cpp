#include "grammar/gbnf_writer.hpp"

#include <utf8proc.h>

#include <algorithm>
#include <cstdio>

#include "weft/error.hpp"

namespace weft::grammar::gbnf {

void CodePointSet::add(char32_t first, char32_t last) {
  if (first > last) return;
  ranges_.push_back({first, std::min(last, kMaxCodePoint)});
  std::sort(ranges_.begin(), ranges_.end(),
            [](const CodePointRange& a, const CodePointRange& b) { return a.first < b.first; });
  std::vector<CodePointRange> merged;
  for (const auto& range : ranges_) {
    if (!merged.empty() && range.first <= merged.back().last + 1) {
      merged.back().last = std::max(merged.back().last, range.last);
    } else {
      merged.push_back(range);
    }
  }
  ranges_ = std::move(merged);
}

void CodePointSet::add(const CodePointSet& other) {
  for (const auto& range : other.ranges_) add(range.first, range.last);
}

CodePointSet CodePointSet::complement() const {
  CodePointSet result;
  char32_t next = 0;
  for (const auto& range : ranges_) {
    if (range.first > next) result.ranges_.push_back({next, range.first - 1});
    next = range.last + 1;
  }
  if (next <= kMaxCodePoint) result.ranges_.push_back({next, kMaxCodePoint});
  return result;
}

CodePointSet CodePointSet::intersect(const CodePointSet& other) const {
  CodePointSet either_missing = complement();
  either_missing.add(other.complement());
  return either_missing.complement();
}

CodePointSet CodePointSet::minus(const CodePointSet& other) const {
  return intersect(other.complement());
}

bool CodePointSet::contains(char32_t code_point) const {
  return std::any_of(ranges_.begin(), ranges_.end(), [&](const CodePointRange& range) {
    return range.first <= code_point && code_point <= range.last;
  });
}

bool CodePointSet::operator==(const CodePointSet& other) const {
  if (ranges_.size() != other.ranges_.size()) return false;
  for (size_t i = 0; i < ranges_.size(); ++i) {
    if (ranges_[i].first != other.ranges_[i].first || ranges_[i].last != other.ranges_[i].last) {
      return false;
    }
  }
  return true;
}

std::vector<char32_t> decode_utf8(std::string_view text, std::string_view what) {
  std::vector<char32_t> code_points;
  size_t pos = 0;
  while (pos < text.size()) {
    utf8proc_int32_t code_point = 0;
    auto read = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + pos),
                                 static_cast<utf8proc_ssize_t>(text.size() - pos), &code_point);
    if (read <= 0) {
      throw Error(std::string(what) + ": invalid UTF-8 at byte " + std::to_string(pos));
    }
    code_points.push_back(static_cast<char32_t>(code_point));
    pos += static_cast<size_t>(read);
  }
  return code_points;
}

std::string encode_utf8(char32_t code_point) {
  utf8proc_uint8_t bytes[4];
  auto length = utf8proc_encode_char(static_cast<utf8proc_int32_t>(code_point), bytes);
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
}

namespace {

std::string hex_escape(char32_t code_point) {
  char buffer[16];
  if (code_point < 0x80) {
    std::snprintf(buffer, sizeof buffer, "\\x%02X", static_cast<unsigned>(code_point));
  } else if (code_point <= 0xFFFF) {
    std::snprintf(buffer, sizeof buffer, "\\u%04X", static_cast<unsigned>(code_point));
  } else {
    std::snprintf(buffer, sizeof buffer, "\\U%08X", static_cast<unsigned>(code_point));
  }
  return buffer;
}

bool printable_ascii(char32_t code_point) {
  return code_point >= 0x20 && code_point < 0x7F;
}

std::string literal_char(char32_t code_point) {
  if (code_point == '"' || code_point == '\\' || !printable_ascii(code_point)) {
    return hex_escape(code_point);
  }
  return std::string(1, static_cast<char>(code_point));
}

// Characters with a meaning inside [...] are always written as escapes.
std::string class_char(char32_t code_point) {
  static constexpr std::string_view kSpecial = "\\]^-[\"";
  if (!printable_ascii(code_point) ||
      kSpecial.find(static_cast<char>(code_point)) != std::string_view::npos) {
    return hex_escape(code_point);
  }
  return std::string(1, static_cast<char>(code_point));
}

}  // namespace

std::string literal_code_points(const std::vector<char32_t>& code_points) {
  std::string out = "\"";
  for (char32_t code_point : code_points) out += literal_char(code_point);
  return out + "\"";
}

std::string literal(std::string_view utf8) {
  return literal_code_points(decode_utf8(utf8, "grammar literal"));
}

std::string char_class(const CodePointSet& set) {
  if (set.empty()) throw Error(ErrorCode::internal, "gbnf: an empty character class");
  std::string out = "[";
  for (const auto& range : set.ranges()) {
    out += class_char(range.first);
    if (range.last != range.first) {
      if (range.last != range.first + 1) out += "-";
      out += class_char(range.last);
    }
  }
  return out + "]";
}

std::string repeat_suffix(size_t min, std::optional<size_t> max) {
  if (!max && min <= 1) return min == 0 ? "*" : "+";
  if (max && *max == 1 && min <= 1) return min == 0 ? "?" : "";
  std::string out = "{";
  out += std::to_string(min);
  if (!max) {
    out += ",";
  } else if (*max != min) {
    out += ",";
    out += std::to_string(*max);
  }
  out += "}";
  return out;
}

std::string json_string_char_body() {
  CodePointSet must_escape(0, 0x1F);
  must_escape.add('"');
  must_escape.add('\\');
  return char_class(must_escape.complement()) + " | \"\\x5C\" ( " +
         char_class(CodePointSet('"', '"')) + " | " + char_class(CodePointSet('\\', '\\')) +
         " | [/bfnrt] | \"u\" [0-9A-Fa-f]{4} )";
}

std::string RuleSet::unique_name(std::string_view hint) {
  std::string base;
  for (char c : hint) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (word) {
      base += c;
    } else if (!base.empty() && base.back() != '-') {
      base += '-';
    }
  }
  while (!base.empty() && base.back() == '-') base.pop_back();
  if (base.size() > 40) base.resize(40);
  if (base.empty()) base = "rule";
  std::string name = base;
  for (size_t n = 2; name == "root" || index_by_name_.count(name) != 0; ++n) {
    name = base + "-" + std::to_string(n);
  }
  return name;
}

void RuleSet::charge(size_t bytes) {
  bytes_ += bytes;
  if (bytes_ > max_bytes_) {
    throw Error("grammar conversion: the grammar would exceed " + std::to_string(max_bytes_) +
                " bytes");
  }
}

std::string RuleSet::add(std::string_view name_hint, const std::string& body) {
  auto found = name_by_body_.find(body);
  if (found != name_by_body_.end()) return found->second;
  std::string name = unique_name(name_hint);
  charge(name.size() + body.size() + 6);
  index_by_name_[name] = rules_.size();
  rules_.emplace_back(name, body);
  name_by_body_[body] = name;
  return name;
}

std::string RuleSet::reserve(std::string_view name_hint) {
  std::string name = unique_name(name_hint);
  charge(name.size() + 6);
  index_by_name_[name] = rules_.size();
  rules_.emplace_back(name, std::string());
  return name;
}

void RuleSet::define(const std::string& name, const std::string& body) {
  charge(body.size());
  rules_.at(index_by_name_.at(name)).second = body;
}

bool RuleSet::pending(const std::string& name) const {
  auto found = index_by_name_.find(name);
  return found != index_by_name_.end() && rules_[found->second].second.empty();
}

namespace {

// The rule names a body refers to: words outside literals, classes and repeat counts.
std::vector<std::string> referenced_names(const std::string& body) {
  std::vector<std::string> names;
  for (size_t i = 0; i < body.size();) {
    char c = body[i];
    if (c == '"' || c == '[') {
      char close = c == '"' ? '"' : ']';
      for (++i; i < body.size() && body[i] != close; ++i) {
        if (body[i] == '\\') ++i;
      }
      ++i;
    } else if (c == '{') {
      i = body.find('}', i);
      i = i == std::string::npos ? body.size() : i + 1;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-') {
      size_t start = i;
      while (i < body.size() &&
             ((body[i] >= 'a' && body[i] <= 'z') || (body[i] >= 'A' && body[i] <= 'Z') ||
              (body[i] >= '0' && body[i] <= '9') || body[i] == '-')) {
        ++i;
      }
      names.push_back(body.substr(start, i - start));
    } else {
      ++i;
    }
  }
  return names;
}

}  // namespace

std::string RuleSet::render(const std::string& root_body) const {
  // Only rules the root reaches are written; a reserved rule never defined (its schema
  // turned out to accept nothing) matches nothing.
  std::vector<bool> reached(rules_.size(), false);
  std::vector<std::string> work = referenced_names(root_body);
  while (!work.empty()) {
    std::string name = std::move(work.back());
    work.pop_back();
    auto found = index_by_name_.find(name);
    if (found == index_by_name_.end() || reached[found->second]) continue;
    reached[found->second] = true;
    for (auto& inner : referenced_names(rules_[found->second].second))
      work.push_back(std::move(inner));
  }
  std::string out = "root ::= " + root_body + "\n";
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (!reached[i]) continue;
    const auto& [name, body] = rules_[i];
    out += name + " ::= " + (body.empty() ? "[^\\x00-\\U0010FFFF]" : body) + "\n";
  }
  return out;
}

}  // namespace weft::grammar::gbnf
