// Jinja's filters (`x | trim`, `tools | tojson(indent=4)`, `items | selectattr(…)`…), following
// Jinja2's implementations, with Hugging Face's tojson (non-ASCII kept, `indent` accepted).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>

#include "chat/jinja/error.hpp"
#include "chat/jinja/interpreter.hpp"
#include "chat/jinja/operations.hpp"
#include "chat/jinja/unicode.hpp"

namespace weft::chat::jinja {
namespace {

bool flag(const CallArgs& args, size_t index, const std::string& name, bool fallback) {
  const Value* value = argument(args, index, name);
  return value ? value->truthy() : fallback;
}

std::optional<int64_t> integer_argument(const CallArgs& args, size_t index,
                                        const std::string& name) {
  const Value* value = argument(args, index, name);
  if (!value || value->is_none()) return std::nullopt;
  if (value->is_int()) return value->as_int();
  if (value->is_bool()) return value->as_bool() ? 1 : 0;
  fail("filter argument '" + name + "' must be an integer, not " + value->type_name());
}

// Jinja2's make_attrgetter: "a.b.0" looks up a, then b, then index 0, item-first.
Value lookup_path(const Value& item, const std::string& path) {
  Value current = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    // All-digit parts index sequences (as in Jinja's attribute paths); one past int64's range
    // is looked up as a name and so comes out undefined.
    int64_t index = 0;
    auto parsed = std::from_chars(part.data(), part.data() + part.size(), index);
    bool numeric = !part.empty() && parsed.ec == std::errc() &&
                   parsed.ptr == part.data() + part.size() && part[0] != '-';
    if (current.is_undefined()) return current;
    current = numeric ? get_item(current, Value(index)) : get_item(current, Value(part));
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

std::string attribute_name(const CallArgs& args, size_t index) {
  const Value* value = argument(args, index, "attribute");
  if (!value || value->is_none()) return {};
  if (value->is_int()) return std::to_string(value->as_int());
  return value->to_string();
}

// Jinja compares case-insensitively by default in sort/unique/min/max/dictsort.
Value sort_key(const Value& value, bool case_sensitive) {
  if (!case_sensitive && value.is_string()) return Value(unicode::lower(value.as_string()));
  return value;
}

CallArgs remaining(const CallArgs& args, size_t from) {
  CallArgs rest;
  for (size_t i = from; i < args.positional.size(); ++i)
    rest.positional.push_back(args.positional[i]);
  rest.named = args.named;
  return rest;
}

// select/reject/map treat a falsy input (none, empty) as empty, as Jinja2's `if value:` does.
Value select_items(Interpreter& interpreter, const Value& input, const CallArgs& args,
                   bool by_attribute, bool keep) {
  if (!input.truthy()) return Value(List{});
  size_t test_index = by_attribute ? 1 : 0;
  std::string attribute;
  if (by_attribute) {
    if (args.positional.empty()) fail("selectattr/rejectattr need an attribute name");
    attribute = args.positional[0].to_string();
  }
  std::string test_name;
  if (args.positional.size() > test_index) test_name = args.positional[test_index].to_string();
  CallArgs test_args = remaining(args, test_index + 1);
  test_args.named.clear();
  List out;
  for (const auto& item : iterate(input)) {
    interpreter.count_iteration();
    Value subject = by_attribute ? lookup_path(item, attribute) : item;
    bool passed =
        test_name.empty() ? subject.truthy() : interpreter.test(test_name, subject, test_args);
    if (passed == keep) out.push_back(item);
  }
  return Value(std::move(out));
}

Value map_items(Interpreter& interpreter, const Value& input, const CallArgs& args) {
  List out;
  if (!input.truthy()) return Value(std::move(out));
  if (const Value* attribute = args.find_named("attribute")) {
    const Value* fallback = args.find_named("default");
    std::string path =
        attribute->is_int() ? std::to_string(attribute->as_int()) : attribute->to_string();
    for (const auto& item : iterate(input)) {
      interpreter.count_iteration();
      Value value = lookup_path(item, path);
      out.push_back(value.is_undefined() && fallback ? *fallback : value);
    }
    return Value(std::move(out));
  }
  if (args.positional.empty()) fail("map needs a filter name or attribute=");
  std::string filter_name = args.positional[0].to_string();
  CallArgs filter_args = remaining(args, 1);
  for (const auto& item : iterate(input)) {
    interpreter.count_iteration();
    out.push_back(interpreter.filter(filter_name, item, filter_args));
  }
  return Value(std::move(out));
}

Value unique_items(const Value& input, const CallArgs& args) {
  bool case_sensitive = flag(args, 0, "case_sensitive", false);
  std::string attribute = attribute_name(args, 1);
  List out;
  List seen;
  for (const auto& item : iterate(input)) {
    Value key = sort_key(attribute.empty() ? item : lookup_path(item, attribute), case_sensitive);
    bool duplicate =
        std::any_of(seen.begin(), seen.end(), [&](const Value& s) { return equals(s, key); });
    if (duplicate) continue;
    seen.push_back(key);
    out.push_back(item);
  }
  return Value(std::move(out));
}

Value sorted_items(const Value& input, const CallArgs& args) {
  bool reverse = flag(args, 0, "reverse", false);
  bool case_sensitive = flag(args, 1, "case_sensitive", false);
  std::string attribute = attribute_name(args, 2);
  List items = iterate(input);
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    Value left = sort_key(attribute.empty() ? a : lookup_path(a, attribute), case_sensitive);
    Value right = sort_key(attribute.empty() ? b : lookup_path(b, attribute), case_sensitive);
    return reverse ? less_than(right, left) : less_than(left, right);
  });
  return Value(std::move(items));
}

Value extreme_item(const Value& input, const CallArgs& args, bool want_max) {
  bool case_sensitive = flag(args, 0, "case_sensitive", false);
  std::string attribute = attribute_name(args, 1);
  List items = iterate(input);
  if (items.empty())
    return Value::undefined(std::string("No aggregated item, sequence was empty."));
  size_t best = 0;
  for (size_t i = 1; i < items.size(); ++i) {
    Value candidate =
        sort_key(attribute.empty() ? items[i] : lookup_path(items[i], attribute), case_sensitive);
    Value current = sort_key(attribute.empty() ? items[best] : lookup_path(items[best], attribute),
                             case_sensitive);
    if (want_max ? less_than(current, candidate) : less_than(candidate, current)) best = i;
  }
  return items[best];
}

Value dict_items(const Value& input) {
  if (input.is_undefined()) return Value(List{});
  if (!input.is_dict()) fail("Can only get item pairs from a mapping.");
  List pairs;
  for (const auto& [key, value] : input.as_dict().entries())
    pairs.push_back(Value(List{Value(key), value}).mark_tuple());
  return Value(std::move(pairs));
}

Value indent_text(const Value& input, const CallArgs& args, size_t max_value_bytes) {
  const Value* width = argument(args, 0, "width");
  std::string indentation =
      width && width->is_string()
          ? width->as_string()
          : std::string(static_cast<size_t>(width ? std::max<int64_t>(0, width->as_int()) : 4),
                        ' ');
  bool first = flag(args, 1, "first", false);
  bool blank = flag(args, 2, "blank", false);
  // Jinja appends a newline before splitting so that a trailing newline is kept.
  auto lines = unicode::split_lines(input.to_string(max_value_bytes) + "\n");
  std::string out;
  if (indentation.size() > max_value_bytes / (lines.size() + 1))
    check_value_bytes(indentation.size() * (lines.size() + 1), max_value_bytes);
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) {
      out += "\n";
      if (blank || !lines[i].empty()) out += indentation;
    }
    out += lines[i];
  }
  if (first) out = indentation + out;
  return Value(std::move(out));
}

std::string jinja_title(const std::string& text) {
  // Jinja capitalises each run of characters that follows a space, dash or opening bracket.
  auto chars = unicode::decode(text);
  auto is_separator = [](char32_t c) {
    return unicode::is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
  };
  std::string out;
  size_t i = 0;
  while (i < chars.size()) {
    size_t start = i;
    bool separator = is_separator(chars[i]);
    while (i < chars.size() && is_separator(chars[i]) == separator) ++i;
    std::string chunk = unicode::encode(std::u32string_view(chars).substr(start, i - start));
    out += separator ? chunk
                     : unicode::upper(unicode::encode(chars[start])) +
                           unicode::lower(unicode::encode(
                               std::u32string_view(chars).substr(start + 1, i - start - 1)));
  }
  return out;
}

// Digits of `base` with single underscores between them, as Python's int() and float() take.
// Returns the digits without underscores; nullopt when `text` is not such a run.
std::optional<std::string> digit_run(std::string_view text, int base) {
  auto is_digit = [base](char c) {
    int value = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'z' ? c - 'a' + 10
                : c >= 'A' && c <= 'Z' ? c - 'A' + 10
                                       : 99;
    return value < base;
  };
  std::string digits;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '_' && i > 0 && i + 1 < text.size() && is_digit(text[i - 1]) &&
        is_digit(text[i + 1]))
      continue;
    if (!is_digit(text[i])) return std::nullopt;
    digits += text[i];
  }
  if (digits.empty()) return std::nullopt;
  return digits;
}

bool starts_with_prefix(std::string_view text, char letter) {
  return text.size() >= 2 && text[0] == '0' && (text[1] == letter || text[1] == letter - 32);
}

[[noreturn]] void integer_out_of_range(std::string_view what) {
  fail("int filter: " + std::string(what) + " does not fit in a 64-bit integer");
}

// Python's int(text, base) for an already stripped text: nullopt where Python raises
// ValueError (so "0x1A" is no base-10 integer). Base 0 reads the 0x/0o/0b prefix.
std::optional<int64_t> python_int(std::string_view text, int64_t base) {
  if (base != 0 && (base < 2 || base > 36)) return std::nullopt;
  bool negative = false;
  if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
    negative = text[0] == '-';
    text.remove_prefix(1);
  }
  auto prefix_base = [&]() -> int64_t {
    if (starts_with_prefix(text, 'x')) return 16;
    if (starts_with_prefix(text, 'o')) return 8;
    if (starts_with_prefix(text, 'b')) return 2;
    return 0;
  };
  if (base == 0) {
    base = prefix_base();
    if (base != 0) {
      text.remove_prefix(2);
      if (!text.empty() && text[0] == '_') text.remove_prefix(1);
    } else {
      base = 10;
      // Python refuses "010" here (it would be octal in C).
      auto digits = digit_run(text, 10);
      if (digits && (*digits)[0] == '0' && digits->find_first_not_of('0') != std::string::npos)
        return std::nullopt;
    }
  } else if ((base == 16 || base == 8 || base == 2) && prefix_base() == base) {
    text.remove_prefix(2);
    if (!text.empty() && text[0] == '_') text.remove_prefix(1);
  }
  auto digits = digit_run(text, static_cast<int>(base));
  if (!digits) return std::nullopt;
  uint64_t magnitude = 0;
  auto parsed = std::from_chars(digits->data(), digits->data() + digits->size(), magnitude,
                                static_cast<int>(base));
  const uint64_t limit = negative ? uint64_t{1} << 63 : (uint64_t{1} << 63) - 1;
  if (parsed.ec == std::errc::result_out_of_range || magnitude > limit)
    integer_out_of_range(std::string(text));
  if (parsed.ec != std::errc() || parsed.ptr != digits->data() + digits->size())
    return std::nullopt;
  return negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
}

// Python's float(text) for an already stripped text: decimal notation, inf, infinity and nan
// in any case, underscores between digits; nullopt where Python raises ValueError (so hex
// and "1e" are refused, which strtod would accept or half-read).
std::optional<double> python_float(std::string_view text) {
  std::string_view body = text;
  bool negative = false;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  std::string lowered = unicode::lower(body);
  if (lowered == "inf" || lowered == "infinity")
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  if (lowered == "nan") return std::numeric_limits<double>::quiet_NaN();
  size_t exponent_at = lowered.find('e');
  std::string_view mantissa = body.substr(0, exponent_at);
  std::string plain = negative ? "-" : "";
  size_t dot = mantissa.find('.');
  std::string_view whole = mantissa.substr(0, dot);
  std::string_view fraction = dot == std::string_view::npos ? "" : mantissa.substr(dot + 1);
  if (whole.empty() && fraction.empty()) return std::nullopt;
  if (!whole.empty()) {
    auto digits = digit_run(whole, 10);
    if (!digits) return std::nullopt;
    plain += *digits;
  }
  if (dot != std::string_view::npos) {
    plain += '.';
    if (!fraction.empty()) {
      auto digits = digit_run(fraction, 10);
      if (!digits) return std::nullopt;
      plain += *digits;
    }
  }
  if (exponent_at != std::string::npos) {
    std::string_view exponent = body.substr(exponent_at + 1);
    plain += 'e';
    if (!exponent.empty() && (exponent[0] == '+' || exponent[0] == '-')) {
      plain += exponent[0];
      exponent.remove_prefix(1);
    }
    auto digits = digit_run(exponent, 10);
    if (!digits) return std::nullopt;
    plain += *digits;
  }
  return std::strtod(plain.c_str(), nullptr);
}

// Python's int(x) of a float: truncation; nan and infinity and values past 64 bits refused.
std::optional<int64_t> truncate_float(double value) {
  if (std::isnan(value)) return std::nullopt;  // ValueError: Jinja2 gives the default
  if (std::isinf(value)) fail("cannot convert float infinity to integer");
  if (value >= 9223372036854775808.0 || value < -9223372036854775808.0)
    integer_out_of_range(format_python_float(value));
  return static_cast<int64_t>(value);
}

// Jinja2's int filter: int(value, base) for strings, int(value) otherwise, and when that
// fails int(float(value)) (so "42.23" gives 42), else the default.
Value to_int(const Value& input, const CallArgs& args) {
  const Value* fallback = argument(args, 0, "default");
  Value default_value = fallback ? *fallback : Value(int64_t{0});
  if (input.is_int()) return input;
  if (input.is_bool()) return Value(int64_t{input.as_bool() ? 1 : 0});
  if (input.is_float()) {
    auto value = truncate_float(input.as_float());
    return value ? Value(*value) : default_value;
  }
  if (input.is_string()) {
    std::string text = unicode::strip(input.as_string(), nullptr, true, true);
    int64_t base = integer_argument(args, 1, "base").value_or(10);
    if (auto value = python_int(text, base)) return Value(*value);
    if (auto number = python_float(text)) {
      if (auto value = truncate_float(*number)) return Value(*value);
    }
  }
  return default_value;
}

Value to_float(const Value& input, const CallArgs& args) {
  const Value* fallback = argument(args, 0, "default");
  if (input.is_number()) return Value(input.as_double());
  if (input.is_string()) {
    if (auto value = python_float(unicode::strip(input.as_string(), nullptr, true, true)))
      return Value(*value);
  }
  return fallback ? *fallback : Value(0.0);
}

Value round_number(const Value& input, const CallArgs& args) {
  if (!input.is_number()) fail("round needs a number, not " + input.type_name());
  int64_t precision = integer_argument(args, 0, "precision").value_or(0);
  const Value* method_value = argument(args, 1, "method");
  std::string method = method_value ? method_value->to_string() : "common";
  double factor = std::pow(10.0, static_cast<double>(precision));
  double scaled = input.as_double() * factor;
  double rounded = method == "ceil"    ? std::ceil(scaled)
                   : method == "floor" ? std::floor(scaled)
                                       : std::nearbyint(scaled);  // Python rounds half to even
  return Value(rounded / factor);
}

Value sum_items(Interpreter& interpreter, const Value& input, const CallArgs& args) {
  std::string attribute = attribute_name(args, 0);
  const Value* start = argument(args, 1, "start");
  Value total = start ? *start : Value(int64_t{0});
  for (const auto& item : iterate(input)) {
    interpreter.count_iteration();
    total = binary_operation("+", total, attribute.empty() ? item : lookup_path(item, attribute),
                             interpreter.options().limits.max_value_bytes);
  }
  return total;
}

Value dictsort_items(const Value& input, const CallArgs& args) {
  bool case_sensitive = flag(args, 0, "case_sensitive", false);
  const Value* by = argument(args, 1, "by");
  bool by_value = by && by->to_string() == "value";
  bool reverse = flag(args, 2, "reverse", false);
  List pairs = dict_items(input).as_list();
  std::stable_sort(pairs.begin(), pairs.end(), [&](const Value& a, const Value& b) {
    Value left = sort_key(a.as_list()[by_value ? 1 : 0], case_sensitive);
    Value right = sort_key(b.as_list()[by_value ? 1 : 0], case_sensitive);
    return reverse ? less_than(right, left) : less_than(left, right);
  });
  return Value(std::move(pairs));
}

Value tojson(const Value& input, const CallArgs& args, size_t max_value_bytes) {
  std::optional<int> indent;
  if (const Value* value = argument(args, 1, "indent"); value && !value->is_none()) {
    if (!value->is_int()) fail("tojson indent must be an integer");
    indent = static_cast<int>(std::clamp<int64_t>(value->as_int(), 0, 64));
  }
  return Value(to_python_json(input, indent, max_value_bytes));
}

}  // namespace

Value Interpreter::filter(const std::string& name, const Value& input, const CallArgs& args) {
  if (name == "default" || name == "d") {
    const Value* fallback = argument(args, 0, "default_value");
    bool boolean = flag(args, 1, "boolean", false);
    bool use_fallback = input.is_undefined() || (boolean && !input.truthy());
    if (!use_fallback) return input;
    return fallback ? *fallback : Value(std::string());
  }
  if (name == "tojson") {
    // tojson's first positional parameter is ensure_ascii in Hugging Face's signature.
    return tojson(input, args, options_.limits.max_value_bytes);
  }
  if (name == "safe") return Value(input.to_string()).mark_safe();
  if (name == "escape" || name == "e" || name == "forceescape") {
    if (input.is_safe() && name != "forceescape") return input;
    return Value(html_escape(input.to_string())).mark_safe();
  }
  const size_t max_value_bytes = options_.limits.max_value_bytes;
  if (name == "string") return Value(input.to_string(max_value_bytes));
  if (name == "pprint") return Value(input.repr(max_value_bytes));
  if (name == "length" || name == "count") return Value(length_of(input));
  if (name == "trim") {
    const Value* chars = argument(args, 0, "chars");
    std::string chars_text = chars && !chars->is_none() ? chars->to_string() : std::string();
    return Value(unicode::strip(input.to_string(),
                                chars && !chars->is_none() ? &chars_text : nullptr, true, true));
  }
  if (name == "upper") return Value(unicode::upper(input.to_string()));
  if (name == "lower") return Value(unicode::lower(input.to_string()));
  if (name == "capitalize") return Value(unicode::capitalize(input.to_string()));
  if (name == "title") return Value(jinja_title(input.to_string()));
  if (name == "replace") {
    const Value* old_text = argument(args, 0, "old");
    const Value* new_text = argument(args, 1, "new");
    if (!old_text || !new_text) fail("replace needs the old and new strings");
    auto method = bound_method(Value(input.to_string()), "replace");
    CallArgs replace_args;
    replace_args.positional = {Value(old_text->to_string()), Value(new_text->to_string())};
    if (auto count = integer_argument(args, 2, "count"))
      replace_args.positional.emplace_back(*count);
    return call(*method, replace_args);
  }
  if (name == "indent") return indent_text(input, args, max_value_bytes);
  if (name == "format") {
    // Jinja2's do_format: `value % args` (a tuple), or `value % kwargs` (a dict).
    if (!args.positional.empty() && !args.named.empty())
      fail("can't handle positional and keyword arguments at the same time");
    Value operands;
    if (args.named.empty()) {
      operands = Value(List(args.positional)).mark_tuple();
    } else {
      auto named = std::make_shared<Dict>();
      for (const auto& [key, value] : args.named) named->set(key, value);
      operands = Value(std::move(named));
    }
    return binary_operation("%", Value(input.to_string(max_value_bytes)), operands,
                            max_value_bytes);
  }
  if (name == "center") {
    auto width = static_cast<size_t>(integer_argument(args, 0, "width").value_or(80));
    std::string text = input.to_string();
    size_t length = unicode::length(text);
    if (length >= width) return Value(text);
    check_value_bytes(text.size() + (width - length), max_value_bytes);
    size_t total = width - length;
    size_t left = total / 2 + (total & width & 1);
    return Value(std::string(left, ' ') + text + std::string(total - left, ' '));
  }
  if (name == "wordcount") {
    std::string text = input.to_string();
    return Value(
        static_cast<int64_t>(iterate(call(*bound_method(Value(text), "split"), {})).size()));
  }
  if (name == "int") return to_int(input, args);
  if (name == "float") return to_float(input, args);
  if (name == "abs") {
    if (input.is_int()) return Value(input.as_int() < 0 ? -input.as_int() : input.as_int());
    if (input.is_number()) return Value(std::fabs(input.as_double()));
    fail("bad operand type for abs(): '" + input.type_name() + "'");
  }
  if (name == "round") return round_number(input, args);
  if (name == "first") {
    auto items = iterate(input);
    if (items.empty()) return Value::undefined("No first item, sequence was empty.");
    return items.front();
  }
  if (name == "last") {
    auto items = iterate(input);
    if (items.empty()) return Value::undefined("No last item, sequence was empty.");
    return items.back();
  }
  if (name == "list") return Value(iterate(input, max_value_bytes));
  if (name == "items") return dict_items(input);
  if (name == "dictsort") return dictsort_items(input, args);
  if (name == "reverse") {
    if (input.is_string()) {
      auto chars = unicode::decode(input.as_string());
      std::reverse(chars.begin(), chars.end());
      return Value(unicode::encode(chars));
    }
    auto items = iterate(input);
    std::reverse(items.begin(), items.end());
    return Value(std::move(items));
  }
  if (name == "join") {
    const Value* separator = argument(args, 0, "d");
    std::string glue = separator ? separator->to_string() : std::string();
    std::string attribute = attribute_name(args, 1);
    std::string out;
    bool first = true;
    for (const auto& item : iterate(input)) {
      if (!first) out += glue;
      first = false;
      out += (attribute.empty() ? item : lookup_path(item, attribute)).to_string(max_value_bytes);
      check_value_bytes(out.size(), max_value_bytes);
    }
    return Value(std::move(out));
  }
  if (name == "map") return map_items(*this, input, args);
  if (name == "select") return select_items(*this, input, args, false, true);
  if (name == "reject") return select_items(*this, input, args, false, false);
  if (name == "selectattr") return select_items(*this, input, args, true, true);
  if (name == "rejectattr") return select_items(*this, input, args, true, false);
  if (name == "unique") return unique_items(input, args);
  if (name == "sort") return sorted_items(input, args);
  if (name == "min") return extreme_item(input, args, false);
  if (name == "max") return extreme_item(input, args, true);
  if (name == "sum") return sum_items(*this, input, args);
  if (name == "attr") {
    const Value* attribute = argument(args, 0, "name");
    if (!attribute) fail("attr needs an attribute name");
    return get_attribute(input, attribute->to_string());
  }
  fail("no filter named '" + name + "'");
}

}  // namespace weft::chat::jinja
