// Building blocks the JSON Schema and regex converters share to write GBNF text: sets of
// code points, literal and character-class spelling, and a rule set that names, deduplicates
// and bounds the rules it is given.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::grammar::gbnf {

inline constexpr char32_t kMaxCodePoint = 0x10FFFF;

struct CodePointRange {
  char32_t first;
  char32_t last;  // inclusive
};

// A set of Unicode code points kept as sorted, disjoint, non-adjacent ranges.
class CodePointSet {
 public:
  CodePointSet() = default;
  static CodePointSet all() { return CodePointSet(0, kMaxCodePoint); }
  CodePointSet(char32_t first, char32_t last) { add(first, last); }

  void add(char32_t first, char32_t last);
  void add(char32_t code_point) { add(code_point, code_point); }
  void add(const CodePointSet& other);
  CodePointSet complement() const;
  CodePointSet minus(const CodePointSet& other) const;
  CodePointSet intersect(const CodePointSet& other) const;
  bool contains(char32_t code_point) const;
  bool empty() const { return ranges_.empty(); }
  const std::vector<CodePointRange>& ranges() const { return ranges_; }
  bool operator==(const CodePointSet& other) const;

 private:
  std::vector<CodePointRange> ranges_;
};

// Decodes UTF-8; throws weft::Error naming `what` and the byte offset on invalid input.
std::vector<char32_t> decode_utf8(std::string_view text, std::string_view what);
std::string encode_utf8(char32_t code_point);

// A GBNF string literal ("...") matching exactly `utf8`, every byte outside printable ASCII
// escaped so that the grammar text stays plain ASCII.
std::string literal(std::string_view utf8);
std::string literal_code_points(const std::vector<char32_t>& code_points);

// A GBNF character class ([...]) matching one code point of a non-empty set.
std::string char_class(const CodePointSet& set);

// A repetition suffix for a count in [min, max] ("" for exactly one; max absent: no bound).
std::string repeat_suffix(size_t min, std::optional<size_t> max);

// The body of a rule matching one character inside a JSON string literal (RFC 8259): any
// code point but " \ and controls, or an escape.
std::string json_string_char_body();

// The rules of one grammar under construction. Identical bodies share one rule; names are
// made from hints (anything outside [A-Za-z0-9-] becomes '-') and numbered when taken.
// Throws weft::Error once the text would exceed `max_bytes`, so that a hostile schema or
// pattern cannot make an unbounded grammar.
class RuleSet {
 public:
  explicit RuleSet(size_t max_bytes) : max_bytes_(max_bytes) {}

  // A rule with this body (an existing one when the body was seen before); returns its name.
  std::string add(std::string_view name_hint, const std::string& body);
  // A name whose body comes later through define(), for rules that refer to themselves.
  std::string reserve(std::string_view name_hint);
  void define(const std::string& name, const std::string& body);
  // Whether `name` was reserved and not yet defined.
  bool pending(const std::string& name) const;

  // The grammar text: `root ::= root_body` followed by every rule in the order made.
  std::string render(const std::string& root_body) const;
  size_t bytes() const { return bytes_; }

 private:
  std::string unique_name(std::string_view hint);
  void charge(size_t bytes);

  size_t max_bytes_;
  size_t bytes_ = 0;
  std::vector<std::pair<std::string, std::string>> rules_;  // name, body ("" while reserved)
  std::map<std::string, size_t> index_by_name_;
  std::map<std::string, std::string> name_by_body_;
};

}  // namespace weft::grammar::gbnf
