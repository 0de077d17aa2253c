#include "grammar/json_schema.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "grammar/gbnf_writer.hpp"
#include "grammar/json_schema_merge.hpp"
#include "grammar/json_schema_primitives.hpp"
#include "grammar/number_range.hpp"
#include "grammar/regex.hpp"
#include "weft/error.hpp"

namespace weft::grammar {
namespace {

using nlohmann::ordered_json;
using schema::Primitives;
using Expression = std::optional<std::string>;  // GBNF; nullopt when no value matches

const std::set<std::string> kConstraints = {"type",
                                            "enum",
                                            "const",
                                            "properties",
                                            "required",
                                            "additionalProperties",
                                            "items",
                                            "prefixItems",
                                            "additionalItems",
                                            "minItems",
                                            "maxItems",
                                            "minLength",
                                            "maxLength",
                                            "pattern",
                                            "format",
                                            "minimum",
                                            "maximum",
                                            "exclusiveMinimum",
                                            "exclusiveMaximum",
                                            "anyOf",
                                            "oneOf",
                                            "allOf",
                                            "$ref"};

std::string child_pointer(const std::string& pointer, const std::string& token) {
  std::string escaped;
  for (char c : token) {
    if (c == '~') {
      escaped += "~0";
    } else if (c == '/') {
      escaped += "~1";
    } else {
      escaped += c;
    }
  }
  return pointer + "/" + escaped;
}

std::string hint_of(const std::string& pointer) {
  size_t slash = pointer.rfind('/');
  std::string last = slash == std::string::npos ? pointer : pointer.substr(slash + 1);
  return last.empty() ? "value" : last;
}

std::string alternatives(const std::vector<std::string>& expressions) {
  std::string out;
  for (const auto& expression : expressions) {
    if (!out.empty()) out += " | ";
    out += expression;
  }
  return out;
}

std::string percent_decoded(const std::string& text, const std::string& pointer) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size() || !std::isxdigit(static_cast<unsigned char>(text[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      throw Error("json schema: malformed $ref '" + text + "' at " + pointer);
    }
    out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
    i += 2;
  }
  return out;
}

class Converter {
 public:
  explicit Converter(const ordered_json& root)
      : root_(root), rules_(kMaxSchemaGrammarBytes), primitives_(rules_) {}

  std::string convert(std::string_view before, std::string_view after) {
    Expression root = value(root_, "", true);
    if (!root) throw Error("json schema: the schema accepts no value");
    std::string body = *root;
    if (!before.empty()) body = gbnf::literal(before) + " " + body;
    if (!after.empty()) body += " " + gbnf::literal(after);
    return rules_.render(body);
  }

 private:
  class DepthGuard {
   public:
    DepthGuard(size_t& depth, const std::string& pointer) : depth_(depth) {
      if (++depth_ > kMaxSchemaNesting) {
        throw Error("json schema: subschemas nested deeper than " +
                    std::to_string(kMaxSchemaNesting) + " at " + (pointer.empty() ? "/" : pointer));
      }
    }
    ~DepthGuard() { --depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    size_t& depth_;
  };

  // Inside brackets: references met from here on are guarded by the bracket.
  class Nested {
   public:
    explicit Nested(std::set<std::string>& unnested)
        : unnested_(unnested), saved_(std::move(unnested)) {
      unnested_.clear();
    }
    ~Nested() { unnested_ = std::move(saved_); }
    Nested(const Nested&) = delete;
    Nested& operator=(const Nested&) = delete;

   private:
    std::set<std::string>& unnested_;
    std::set<std::string> saved_;
  };

  static std::string where(const std::string& pointer) { return pointer.empty() ? "/" : pointer; }

  [[noreturn]] static void unsupported(const std::string& keyword, const std::string& pointer,
                                       const std::string& why = "") {
    throw Error("json schema: unsupported keyword '" + keyword + "' at " + where(pointer) +
                (why.empty() ? "" : " (" + why + ")"));
  }

  void check_keywords(const ordered_json& schema, const std::string& pointer, bool at_root) {
    for (const auto& [keyword, ignored] : schema.items()) {
      if (kConstraints.count(keyword) || schema::is_annotation(keyword)) continue;
      if (keyword == "definitions" || keyword == "$defs") continue;
      if (keyword == "$id" && at_root) continue;
      unsupported(keyword, pointer);
    }
  }

  // The value of a $ref: its target, after checking that nothing next to it constrains
  // (draft 7 ignores such siblings and 2019+ applies them: refusing is right for both).
  const ordered_json& resolve(const ordered_json& schema, const std::string& pointer) {
    if (!schema.is_object() || !schema.contains("$ref")) return schema;
    for (const auto& [keyword, ignored] : schema.items()) {
      if (keyword != "$ref" && kConstraints.count(keyword)) {
        unsupported(keyword, pointer, "next to '$ref'");
      }
    }
    return target(schema["$ref"], child_pointer(pointer, "$ref")).second;
  }

  std::pair<std::string, const ordered_json&> target(const ordered_json& ref,
                                                     const std::string& pointer) {
    if (!ref.is_string()) throw Error("json schema: '$ref' must be a string at " + pointer);
    std::string text = ref.get<std::string>();
    if (text.empty() || text[0] != '#') {
      unsupported("$ref", pointer,
                  "only local references '#/...' are supported, not '" + text + "'");
    }
    std::string location = percent_decoded(text.substr(1), pointer);
    try {
      return {location, root_.at(ordered_json::json_pointer(location))};
    } catch (const nlohmann::json::exception&) {
      throw Error("json schema: '$ref' at " + pointer + " names '" + text +
                  "', which is not in the schema");
    }
  }

  Expression reference(const ordered_json& ref, const std::string& pointer) {
    auto [location, schema] = target(ref, pointer);
    // A schema that reaches itself again before any bracket would be a left-recursive rule,
    // with no JSON text for it to describe.
    if (unnested_refs_.count(location)) {
      throw Error("json schema: '$ref' at " + pointer + " leads back to '#" + location +
                  "' without nesting inside an array or object");
    }
    auto found = ref_rules_.find(location);
    if (found != ref_rules_.end()) return found->second;
    std::string name = rules_.reserve(hint_of(location));
    ref_rules_[location] = name;
    unnested_refs_.insert(location);
    Expression body = value(schema, location, location.empty());
    unnested_refs_.erase(location);
    if (!body) {
      ref_rules_[location] = std::nullopt;
      return std::nullopt;
    }
    rules_.define(name, *body);
    return name;
  }

  Expression value(const ordered_json& schema, const std::string& pointer, bool at_root = false) {
    DepthGuard guard(depth_, pointer);
    if (schema.is_boolean()) {
      if (schema.get<bool>()) return primitives_.any_value();
      return std::nullopt;
    }
    if (!schema.is_object()) {
      throw Error("json schema: a schema must be an object or a boolean at " + where(pointer));
    }
    check_keywords(schema, pointer, at_root);
    if (schema.contains("$ref")) {
      resolve(schema, pointer);  // checks the siblings
      return reference(schema["$ref"], child_pointer(pointer, "$ref"));
    }
    auto resolver = [this](const ordered_json& part, const std::string& at) -> const ordered_json& {
      return resolve(part, at);
    };
    if (schema.contains("allOf")) {
      if (!schema["allOf"].is_array() || schema["allOf"].empty()) {
        throw Error("json schema: 'allOf' must be a non-empty array at " + where(pointer));
      }
      ordered_json merged =
          schema::merge_schemas({schema}, child_pointer(pointer, "allOf"), resolver);
      return value(merged, pointer);
    }
    if (schema.contains("anyOf") || schema.contains("oneOf"))
      return union_of(schema, pointer, resolver);
    if (schema.contains("enum") || schema.contains("const")) return enumerated(schema, pointer);
    return typed(schema, pointer);
  }

  // anyOf/oneOf (oneOf as anyOf): each branch joined with the keywords next to it.
  Expression union_of(const ordered_json& schema, const std::string& pointer,
                      const schema::RefResolver& resolver) {
    if (schema.contains("anyOf") && schema.contains("oneOf")) {
      unsupported("oneOf", pointer, "next to 'anyOf'");
    }
    std::string keyword = schema.contains("anyOf") ? "anyOf" : "oneOf";
    const ordered_json& branches = schema[keyword];
    if (!branches.is_array() || branches.empty()) {
      throw Error("json schema: '" + keyword + "' must be a non-empty array at " + where(pointer));
    }
    ordered_json siblings = schema;
    siblings.erase(keyword);
    bool alone = true;
    for (const auto& [name, ignored] : siblings.items()) alone &= !kConstraints.count(name);
    std::vector<std::string> options;
    for (size_t i = 0; i < branches.size(); ++i) {
      std::string branch_pointer =
          child_pointer(child_pointer(pointer, keyword), std::to_string(i));
      Expression option;
      if (alone) {
        option = value(branches[i], branch_pointer);
      } else {
        option = value(schema::merge_schemas({siblings, branches[i]}, branch_pointer, resolver),
                       branch_pointer);
      }
      if (option && std::find(options.begin(), options.end(), *option) == options.end()) {
        options.push_back(*option);
      }
    }
    if (options.empty()) return std::nullopt;
    if (options.size() == 1) return options.front();
    return rules_.add(hint_of(pointer), alternatives(options));
  }

  Expression enumerated(const ordered_json& schema, const std::string& pointer) {
    for (const auto& [keyword, ignored] : schema.items()) {
      if (kConstraints.count(keyword) && keyword != "enum" && keyword != "const" &&
          keyword != "type") {
        unsupported(keyword, pointer, "next to 'enum' or 'const'");
      }
    }
    std::vector<ordered_json> values;
    if (schema.contains("enum")) {
      if (!schema["enum"].is_array())
        throw Error("json schema: 'enum' must be an array at " + where(pointer));
      for (const auto& item : schema["enum"]) values.push_back(item);
    } else {
      values.push_back(schema["const"]);
    }
    std::vector<std::string> options;
    for (const auto& item : values) {
      if (schema.contains("const") && !(item == schema["const"])) continue;
      if (schema.contains("type") && !(types(schema, pointer) & type_bit(item))) continue;
      std::string option = primitives_.literal_value(item);
      if (std::find(options.begin(), options.end(), option) == options.end())
        options.push_back(option);
    }
    if (options.empty()) return std::nullopt;
    if (options.size() == 1) return options.front();
    return rules_.add(hint_of(pointer), alternatives(options));
  }

  enum TypeBit : unsigned {
    kNull = 1,
    kBoolean = 2,
    kInteger = 4,
    kNumber = 8,
    kString = 16,
    kArray = 32,
    kObject = 64,
    kAnyType = 127
  };

  static unsigned type_bit(const ordered_json& value) {
    switch (value.type()) {
      case ordered_json::value_t::null:
        return kNull;
      case ordered_json::value_t::boolean:
        return kBoolean;
      case ordered_json::value_t::number_integer:
      case ordered_json::value_t::number_unsigned:
        return kInteger | kNumber;
      case ordered_json::value_t::number_float: {
        double number = value.get<double>();
        return std::floor(number) == number ? (kInteger | kNumber) : kNumber;
      }
      case ordered_json::value_t::string:
        return kString;
      case ordered_json::value_t::array:
        return kArray;
      default:
        return kObject;
    }
  }

  static unsigned types(const ordered_json& schema, const std::string& pointer) {
    if (!schema.contains("type")) return kAnyType;
    static const std::map<std::string, unsigned> kBits = {
        {"null", kNull},       {"boolean", kBoolean},
        {"integer", kInteger}, {"number", kNumber | kInteger},
        {"string", kString},   {"array", kArray},
        {"object", kObject}};
    const ordered_json& type = schema["type"];
    unsigned bits = 0;
    auto add = [&](const ordered_json& name) {
      auto found = name.is_string() ? kBits.find(name.get<std::string>()) : kBits.end();
      if (found == kBits.end())
        throw Error("json schema: invalid 'type' at " + child_pointer(pointer, "type"));
      bits |= found->second;
    };
    if (type.is_array()) {
      for (const auto& name : type) add(name);
    } else {
      add(type);
    }
    return bits;
  }

  Expression typed(const ordered_json& schema, const std::string& pointer) {
    unsigned bits = types(schema, pointer);
    bool constrained = false;
    for (const auto& [keyword, ignored] : schema.items())
      constrained |= kConstraints.count(keyword) != 0;
    if (bits == kAnyType && !constrained) return primitives_.any_value();
    std::vector<std::string> options;
    auto add = [&](const Expression& option) {
      if (option) options.push_back(*option);
    };
    if (bits & kNull) options.push_back("\"null\"");
    if (bits & kBoolean) options.push_back(primitives_.boolean());
    if (bits & kNumber) {
      add(number(schema, pointer));
    } else if (bits & kInteger) {
      add(integer(schema, pointer));
    }
    if (bits & kString) add(string(schema, pointer));
    if (bits & kArray) add(array(schema, pointer));
    if (bits & kObject) add(object(schema, pointer));
    if (options.empty()) return std::nullopt;
    if (options.size() == 1) return options.front();
    return rules_.add(hint_of(pointer), alternatives(options));
  }

  // Bounds on numbers: exact decimal comparisons, the bounded numbers written without an
  // exponent (number_range.hpp).
  Expression number(const ordered_json& schema, const std::string& pointer) {
    std::optional<schema::NumberBound> low, high;
    auto tighten = [&](std::optional<schema::NumberBound>& bound, const char* keyword,
                       bool exclusive, int direction) {
      if (!schema.contains(keyword) || schema[keyword].is_boolean()) return;
      if (!schema[keyword].is_number()) {
        throw Error("json schema: '" + std::string(keyword) + "' must be a number at " +
                    where(pointer));
      }
      auto value = schema::decimal_from_json(schema[keyword]);
      if (!value) unsupported(keyword, pointer, "bounds beyond 19 integer or 40 fraction digits");
      schema::NumberBound candidate{*value, exclusive};
      int order = bound ? schema::compare(candidate.value, bound->value) * direction : 1;
      if (order > 0 || (order == 0 && exclusive)) bound = candidate;
    };
    auto flag = [&](const char* keyword) {
      return schema.contains(keyword) && schema[keyword].is_boolean() &&
             schema[keyword].get<bool>();
    };
    tighten(low, "minimum", flag("exclusiveMinimum"), 1);
    tighten(low, "exclusiveMinimum", true, 1);
    tighten(high, "maximum", flag("exclusiveMaximum"), -1);
    tighten(high, "exclusiveMaximum", true, -1);
    if (!low && !high) return primitives_.number();
    auto range = schema::number_range(low, high);
    if (!range) return std::nullopt;
    return rules_.add(hint_of(pointer) + "-number", *range);
  }

  // Exact for 64-bit integers (long double holds them), ceil/floor for fractional bounds.
  static long double bound(const ordered_json& schema, const char* keyword,
                           const std::string& pointer) {
    const ordered_json& value = schema[keyword];
    if (value.is_number_unsigned()) return static_cast<long double>(value.get<uint64_t>());
    if (value.is_number_integer()) return static_cast<long double>(value.get<int64_t>());
    if (!value.is_number()) {
      throw Error("json schema: '" + std::string(keyword) + "' must be a number at " +
                  where(pointer));
    }
    return value.get<double>();
  }

  // Integer bounds as exact digit-range grammars. Draft 4's boolean exclusiveMinimum and
  // exclusiveMaximum (which make minimum/maximum strict) are understood too.
  Expression integer(const ordered_json& schema, const std::string& pointer) {
    auto flag = [&](const char* keyword) {
      return schema.contains(keyword) && schema[keyword].is_boolean() &&
             schema[keyword].get<bool>();
    };
    auto numeric = [&](const char* keyword) {
      return schema.contains(keyword) && !schema[keyword].is_boolean();
    };
    long double low = -std::numeric_limits<long double>::infinity();
    long double high = std::numeric_limits<long double>::infinity();
    if (numeric("minimum")) {
      long double minimum = bound(schema, "minimum", pointer);
      low = flag("exclusiveMinimum") ? std::floor(minimum) + 1 : std::ceil(minimum);
    }
    if (numeric("exclusiveMinimum")) {
      low = std::max(low, std::floor(bound(schema, "exclusiveMinimum", pointer)) + 1);
    }
    if (numeric("maximum")) {
      long double maximum = bound(schema, "maximum", pointer);
      high = flag("exclusiveMaximum") ? std::ceil(maximum) - 1 : std::floor(maximum);
    }
    if (numeric("exclusiveMaximum")) {
      high = std::min(high, std::ceil(bound(schema, "exclusiveMaximum", pointer)) - 1);
    }
    if (low > high) return std::nullopt;
    const long double kMin = static_cast<long double>(std::numeric_limits<int64_t>::min());
    const long double kMax = static_cast<long double>(std::numeric_limits<int64_t>::max());
    if (low > kMax) unsupported("minimum", pointer, "integer bounds beyond 64 bits");
    if (high < kMin) unsupported("maximum", pointer, "integer bounds beyond 64 bits");
    std::optional<int64_t> min, max;
    if (low >= kMin) min = static_cast<int64_t>(low);
    if (high <= kMax) max = static_cast<int64_t>(high);
    if (!min && !max) return primitives_.integer();
    return rules_.add(hint_of(pointer) + "-integer", primitives_.integer_range(min, max));
  }

  size_t count(const ordered_json& schema, const char* keyword, const std::string& pointer) {
    const ordered_json& value = schema[keyword];
    bool integral = value.is_number_unsigned() ||
                    (value.is_number_integer() && value.get<int64_t>() >= 0) ||
                    (value.is_number_float() && value.get<double>() >= 0 &&
                     std::floor(value.get<double>()) == value.get<double>());
    if (!integral) {
      throw Error("json schema: '" + std::string(keyword) + "' must be a non-negative integer at " +
                  where(pointer));
    }
    double number = value.get<double>();
    if (number > static_cast<double>(kMaxSchemaCount)) {
      unsupported(keyword, pointer, "counts above " + std::to_string(kMaxSchemaCount));
    }
    return static_cast<size_t>(number);
  }

  Expression string(const ordered_json& schema, const std::string& pointer) {
    bool lengths = schema.contains("minLength") || schema.contains("maxLength");
    bool pattern = schema.contains("pattern");
    bool format = schema.contains("format");
    if (pattern + format + lengths > 1) {
      unsupported(pattern ? "pattern" : "format", pointer,
                  "only one of pattern, format and minLength/maxLength may constrain a string");
    }
    if (pattern) return pattern_string(schema["pattern"], child_pointer(pointer, "pattern"));
    if (format) {
      const ordered_json& name = schema["format"];
      Expression rule =
          name.is_string() ? primitives_.format(name.get<std::string>()) : std::nullopt;
      if (!rule) {
        unsupported("format", pointer,
                    "the formats supported are date, time, date-time and uuid, not " + name.dump());
      }
      return rule;
    }
    if (!lengths) return primitives_.any_string();
    size_t min = schema.contains("minLength") ? count(schema, "minLength", pointer) : 0;
    std::optional<size_t> max;
    if (schema.contains("maxLength")) max = count(schema, "maxLength", pointer);
    if (max && *max < min) return std::nullopt;
    return rules_.add(
        hint_of(pointer) + "-string",
        "\"\\\"\" " + primitives_.json_char() + gbnf::repeat_suffix(min, max) + " \"\\\"\"");
  }

  std::string pattern_string(const ordered_json& pattern, const std::string& pointer) {
    if (!pattern.is_string()) throw Error("json schema: 'pattern' must be a string at " + pointer);
    try {
      std::string content = add_regex_rules(rules_, pattern.get<std::string>(),
                                            RegexSpelling::json_string, "pattern");
      return rules_.add("pattern-string", "\"\\\"\" " + content + " \"\\\"\"");
    } catch (const Error& error) {
      throw Error("json schema: 'pattern' at " + pointer + ": " + error.what());
    }
  }

  Expression array(const ordered_json& schema, const std::string& pointer);
  Expression object(const ordered_json& schema, const std::string& pointer);
  // A quoted object key other than the `names` (whose rules are then in the grammar).
  std::string key_excluding(const std::vector<std::string>& names, const std::string& pointer);

  const ordered_json& root_;
  gbnf::RuleSet rules_;
  Primitives primitives_;
  std::map<std::string, std::optional<std::string>> ref_rules_;
  std::set<std::string> unnested_refs_;  // references being expanded outside any bracket
  size_t depth_ = 0;
};

Expression Converter::array(const ordered_json& schema, const std::string& pointer) {
  Nested nested(unnested_refs_);
  std::vector<Expression> prefix;
  std::string prefix_keyword;
  if (schema.contains("prefixItems")) {
    if (schema.contains("items") && schema["items"].is_array())
      unsupported("items", pointer, "an array next to 'prefixItems'");
    prefix_keyword = "prefixItems";
  } else if (schema.contains("items") && schema["items"].is_array()) {
    prefix_keyword = "items";
  }
  if (!prefix_keyword.empty()) {
    const ordered_json& items = schema[prefix_keyword];
    if (!items.is_array())
      throw Error("json schema: '" + prefix_keyword + "' must be an array at " + where(pointer));
    if (items.size() > kMaxSchemaCount) unsupported(prefix_keyword, pointer, "too many items");
    std::string items_pointer = child_pointer(pointer, prefix_keyword);
    for (size_t i = 0; i < items.size(); ++i)
      prefix.push_back(value(items[i], child_pointer(items_pointer, std::to_string(i))));
  }
  // What comes after the prefix: `items` after prefixItems, `additionalItems` after an array
  // `items` (draft 7), `items` alone otherwise; anything when the keyword is absent.
  std::string rest_keyword = prefix_keyword == "items" ? "additionalItems" : "items";
  Expression rest = schema.contains(rest_keyword)
                        ? value(schema[rest_keyword], child_pointer(pointer, rest_keyword))
                        : Expression(primitives_.any_value());
  size_t min = schema.contains("minItems") ? count(schema, "minItems", pointer) : 0;
  std::optional<size_t> max;
  if (schema.contains("maxItems")) max = count(schema, "maxItems", pointer);
  for (size_t k = 0; k < prefix.size(); ++k) {
    if (!prefix[k]) {  // no array reaches past an item nothing matches
      max = std::min(max.value_or(k), k);
      prefix.resize(k);
      break;
    }
  }
  if (!rest) max = std::min(max.value_or(prefix.size()), prefix.size());
  if (max && *max < min) return std::nullopt;
  std::string ws = primitives_.whitespace();
  if (max && *max == 0) return "\"[\" " + ws + " \"]\"";
  auto element = [&](size_t k) { return k < prefix.size() ? *prefix[k] : *rest; };
  std::string separator = primitives_.separator();
  // Items from position k on, k >= 1 of them already written.
  std::string after;
  size_t first_rest = std::max<size_t>(prefix.size(), 1);
  if (!max || *max > first_rest - 1) {
    if (rest) {
      size_t at_least = min > first_rest ? min - first_rest : 0;
      std::optional<size_t> at_most;
      if (max) at_most = *max - first_rest;
      if (!at_most || *at_most > 0)
        after = "( " + separator + " " + *rest + " )" + gbnf::repeat_suffix(at_least, at_most);
    }
  }
  for (size_t k = first_rest - 1; k >= 1; --k) {
    if (max && k >= *max) continue;
    std::string piece = separator + " " + element(k) + (after.empty() ? "" : " " + after);
    after = k >= min ? "( " + piece + " )?" : piece;
    if (after.size() > 256) after = rules_.add(hint_of(pointer) + "-items", after);
  }
  std::string items = element(0) + (after.empty() ? "" : " " + after);
  return rules_.add(hint_of(pointer) + "-array",
                    primitives_.comma_separated("[", items, "]", min == 0));
}

std::string Converter::key_excluding(const std::vector<std::string>& names,
                                     const std::string& pointer) {
  if (names.empty()) return primitives_.any_string();
  struct Node {
    std::map<char32_t, size_t> children;
    bool terminal = false;
  };
  std::vector<Node> trie(1);
  for (const auto& name : names) {
    std::string content =
        ordered_json(name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    content = content.substr(1, content.size() - 2);
    if (content.find('\\') != std::string::npos) {
      unsupported("additionalProperties", pointer,
                  "next to property names that JSON writes with escapes");
    }
    size_t node = 0;
    for (char32_t c : gbnf::decode_utf8(content, "json schema property name")) {
      auto found = trie[node].children.find(c);
      if (found == trie[node].children.end()) {
        trie.push_back({});
        found = trie[node].children.emplace(c, trie.size() - 1).first;
      }
      node = found->second;
    }
    trie[node].terminal = true;
  }
  std::string quote = "\"\\\"\"";
  // The rest of a key once it has left every name: shared by all trie nodes.
  std::string rest = rules_.add("key-rest", primitives_.json_char() + "* " + quote);
  std::string escaped_rest = rules_.add(
      "escaped-key-rest", "\"\\x5C\" ( [\\x22\\x5C/bfnrt] | \"u\" [0-9A-Fa-f]{4} ) " + rest);
  gbnf::CodePointSet unescaped = gbnf::CodePointSet(0x20, gbnf::kMaxCodePoint)
                                     .minus(gbnf::CodePointSet('"', '"'))
                                     .minus(gbnf::CodePointSet('\\', '\\'));
  std::vector<std::string> rule_of(trie.size());
  // Children are made after their parents, so walking backwards finds them done.
  for (size_t node = trie.size(); node-- > 0;) {
    std::vector<std::string> options;
    if (!trie[node].terminal) options.push_back(quote);
    gbnf::CodePointSet other = unescaped;
    for (const auto& [c, child] : trie[node].children) {
      options.push_back(gbnf::literal_code_points({c}) + " " + rule_of[child]);
      other = other.minus(gbnf::CodePointSet(c, c));
    }
    options.push_back(gbnf::char_class(other) + " " + rest);
    options.push_back(escaped_rest);
    rule_of[node] = rules_.add("other-key", alternatives(options));
  }
  return quote + " " + rule_of[0];
}

Expression Converter::object(const ordered_json& schema, const std::string& pointer) {
  Nested nested(unnested_refs_);
  std::vector<std::string> required;
  if (schema.contains("required")) {
    const ordered_json& list = schema["required"];
    if (!list.is_array())
      throw Error("json schema: 'required' must be an array at " + where(pointer));
    for (const auto& name : list) {
      if (!name.is_string())
        throw Error("json schema: 'required' must list strings at " + where(pointer));
      required.push_back(name.get<std::string>());
    }
  }
  auto is_required = [&](const std::string& name) {
    return std::find(required.begin(), required.end(), name) != required.end();
  };
  std::string ws = primitives_.whitespace();
  auto member = [&](const std::string& key, const std::string& value_expression) {
    return key + " " + ws + " \":\" " + ws + " " + value_expression;
  };
  auto key_literal = [](const std::string& name) {
    return gbnf::literal(
        ordered_json(name).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  struct Entry {
    std::string member;
    bool required;
  };
  std::vector<Entry> entries;
  std::vector<std::string> declared;
  if (schema.contains("properties")) {
    const ordered_json& properties = schema["properties"];
    if (!properties.is_object())
      throw Error("json schema: 'properties' must be an object at " + where(pointer));
    std::string properties_pointer = child_pointer(pointer, "properties");
    for (const auto& [name, property] : properties.items()) {
      declared.push_back(name);
      Expression property_value = value(property, child_pointer(properties_pointer, name));
      if (!property_value) {
        if (is_required(name)) return std::nullopt;
        continue;
      }
      entries.push_back({member(key_literal(name), *property_value), is_required(name)});
    }
  }
  Expression extra =
      schema.contains("additionalProperties")
          ? value(schema["additionalProperties"], child_pointer(pointer, "additionalProperties"))
          : Expression(primitives_.any_value());
  for (const auto& name : required) {
    if (std::find(declared.begin(), declared.end(), name) != declared.end()) continue;
    if (!extra) return std::nullopt;
    declared.push_back(name);
    entries.push_back({member(key_literal(name), *extra), true});
  }
  std::string separator = primitives_.separator();
  std::optional<std::string> extra_member;
  if (extra) extra_member = member(key_excluding(declared, pointer), *extra);
  auto shared = [&](const std::string& expression) {
    return expression.size() > 256 ? rules_.add(hint_of(pointer) + "-members", expression)
                                   : expression;
  };
  // tail: members from entry k on, something already written; head: at least one member
  // from entry k on, nothing written yet.
  std::string tail = extra_member ? "( " + separator + " " + *extra_member + " )*" : "";
  std::optional<std::string> head;
  if (extra_member) head = *extra_member + " " + tail;
  bool may_be_empty = true;
  for (size_t k = entries.size(); k-- > 0;) {
    const Entry& entry = entries[k];
    std::string written = entry.member + (tail.empty() ? "" : " " + tail);
    if (entry.required) {
      may_be_empty = false;
      head = written;
      tail = separator + " " + written;
    } else {
      head = head ? "( " + written + " | " + *head + " )" : written;
      tail = "( " + separator + " " + entry.member + " )?" + (tail.empty() ? "" : " " + tail);
    }
    head = shared(*head);
    tail = shared(tail);
  }
  if (!head) return "\"{\" " + ws + " \"}\"";
  return rules_.add(hint_of(pointer) + "-object",
                    primitives_.comma_separated("{", *head, "}", may_be_empty));
}

}  // namespace

std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema) {
  return json_schema_to_gbnf(schema, {}, {});
}

std::string json_schema_to_gbnf(const nlohmann::ordered_json& schema, std::string_view before,
                                std::string_view after) {
  try {
    return Converter(schema).convert(before, after);
  } catch (const nlohmann::json::exception& error) {
    throw Error(std::string("json schema: ") + error.what());
  }
}

std::string json_schema_to_gbnf(const nlohmann::json& schema) {
  return json_schema_to_gbnf(nlohmann::ordered_json(schema));
}

std::string_view free_form_json_gbnf() {
  static const std::string text = [] {
    gbnf::RuleSet rules(kMaxSchemaGrammarBytes);
    schema::Primitives primitives(rules);
    std::string object = primitives.any_object();
    return rules.render(object);
  }();
  return text;
}

}  // namespace weft::grammar
