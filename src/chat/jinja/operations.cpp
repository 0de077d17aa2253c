#include "chat/jinja/operations.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

#include "chat/jinja/error.hpp"
#include "chat/jinja/unicode.hpp"

namespace weft::chat::jinja {

void fail_undefined(const Value& value) {
  const std::string& hint = value.undefined_hint();
  fail(hint.empty() ? "value is undefined" : hint);
}

const Value* argument(const CallArgs& args, size_t index, const std::string& name) {
  if (index < args.positional.size()) return &args.positional[index];
  return args.find_named(name);
}

namespace {

std::string object_name(const Value& value) {
  std::string name = "'";
  name += value.type_name();
  name += " object'";
  return name;
}

// Python index normalisation: negative counts from the end; nullopt when out of range.
std::optional<size_t> normalize_index(int64_t index, size_t size) {
  if (index < 0) index += static_cast<int64_t>(size);
  if (index < 0 || index >= static_cast<int64_t>(size)) return std::nullopt;
  return static_cast<size_t>(index);
}

std::optional<int64_t> as_index(const Value& value) {
  if (value.is_int()) return value.as_int();
  if (value.is_bool()) return value.as_bool() ? 1 : 0;
  return std::nullopt;
}

}  // namespace

Value get_attribute(const Value& object, const std::string& name) {
  if (object.is_undefined()) fail_undefined(object);
  if (object.is_dict() && object.as_dict().kind() != Dict::Kind::plain) {
    if (const auto* found = object.as_dict().find(name)) return *found;
    if (auto method = bound_method(object, name)) return *method;
    return Value::undefined(object_name(object) + " has no attribute '" + name + "'");
  }
  if (auto method = bound_method(object, name)) return *method;
  if (object.is_dict()) {
    if (const auto* found = object.as_dict().find(name)) return *found;
  }
  return Value::undefined(object_name(object) + " has no attribute '" + name + "'");
}

Value get_item(const Value& object, const Value& key) {
  if (object.is_undefined()) fail_undefined(object);
  switch (object.kind()) {
    case Value::Kind::dict:
      if (key.is_string()) {
        if (const auto* found = object.as_dict().find(key.as_string())) return *found;
        if (object.as_dict().kind() == Dict::Kind::plain) {
          if (auto method = bound_method(object, key.as_string())) return *method;
        }
      }
      return Value::undefined(object_name(object) + " has no attribute '" + key.to_string() + "'");
    case Value::Kind::list: {
      if (auto index = as_index(key)) {
        const auto& list = object.as_list();
        if (auto at = normalize_index(*index, list.size())) return list[*at];
        return Value::undefined(object_name(object) + " has no element " + key.repr());
      }
      break;
    }
    case Value::Kind::string: {
      if (auto index = as_index(key)) {
        auto chars = unicode::decode(object.as_string());
        if (auto at = normalize_index(*index, chars.size()))
          return Value(unicode::encode(chars[*at]));
        return Value::undefined(object_name(object) + " has no element " + key.repr());
      }
      break;
    }
    default:
      break;
  }
  if (key.is_string()) return get_attribute(object, key.as_string());
  return Value::undefined(object_name(object) + " has no element " + key.repr());
}

namespace {

// Python's slice.indices(): clamps start/stop for the given length and step.
std::vector<size_t> slice_indices(size_t size, const Value* start, const Value* stop,
                                  const Value* step) {
  auto integer = [](const Value* v) -> std::optional<int64_t> {
    if (!v || v->is_none()) return std::nullopt;
    if (auto index = as_index(*v)) return index;
    fail("slice indices must be integers or None, not " + v->type_name());
  };
  int64_t n = static_cast<int64_t>(size);
  int64_t step_value = integer(step).value_or(1);
  if (step_value == 0) fail("slice step cannot be zero");
  auto clamp = [&](std::optional<int64_t> index, int64_t default_value) {
    if (!index) return default_value;
    int64_t i = *index;
    if (i < 0) i += n;
    if (step_value > 0) return std::clamp<int64_t>(i, 0, n);
    return std::clamp<int64_t>(i, -1, n - 1);
  };
  int64_t begin = clamp(integer(start), step_value > 0 ? 0 : n - 1);
  int64_t end = clamp(integer(stop), step_value > 0 ? n : -1);
  std::vector<size_t> indices;
  for (int64_t i = begin; step_value > 0 ? i < end : i > end; i += step_value)
    indices.push_back(static_cast<size_t>(i));
  return indices;
}

}  // namespace

Value get_slice(const Value& object, const Value* start, const Value* stop, const Value* step) {
  if (object.is_undefined()) fail_undefined(object);
  if (object.is_list()) {
    const auto& list = object.as_list();
    List out;
    for (size_t i : slice_indices(list.size(), start, stop, step)) out.push_back(list[i]);
    return Value(std::move(out));
  }
  if (object.is_string()) {
    auto chars = unicode::decode(object.as_string());
    std::u32string out;
    for (size_t i : slice_indices(chars.size(), start, stop, step)) out.push_back(chars[i]);
    return Value(unicode::encode(out));
  }
  fail("'" + object.type_name() + "' object is not subscriptable");
}

std::vector<Value> iterate(const Value& value, size_t max_value_bytes) {
  switch (value.kind()) {
    case Value::Kind::undefined:
      return {};
    case Value::Kind::list:
      return value.as_list();
    case Value::Kind::dict: {
      std::vector<Value> keys;
      for (const auto& [key, item] : value.as_dict().entries()) keys.emplace_back(key);
      return keys;
    }
    case Value::Kind::string: {
      const size_t count = unicode::length(value.as_string());
      if (count > max_value_bytes / sizeof(Value))
        check_value_bytes(count * sizeof(Value), max_value_bytes);
      std::vector<Value> chars;
      for (char32_t c : unicode::decode(value.as_string())) chars.emplace_back(unicode::encode(c));
      return chars;
    }
    default:
      fail("'" + value.type_name() + "' object is not iterable");
  }
}

int64_t length_of(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::undefined:
      return 0;
    case Value::Kind::string:
      return static_cast<int64_t>(unicode::length(value.as_string()));
    case Value::Kind::list:
      return static_cast<int64_t>(value.as_list().size());
    case Value::Kind::dict:
      return static_cast<int64_t>(value.as_dict().size());
    default:
      fail("object of type '" + value.type_name() + "' has no len()");
  }
}

namespace {

bool is_integral(const Value& v) {
  return v.is_int() || v.is_bool();
}
int64_t integral(const Value& v) {
  return v.is_bool() ? (v.as_bool() ? 1 : 0) : v.as_int();
}

[[noreturn]] void unsupported(const std::string& op, const Value& left, const Value& right) {
  fail("unsupported operand type(s) for " + op + ": '" + left.type_name() + "' and '" +
       right.type_name() + "'");
}

// The bytes of `times` copies of something of `bytes` bytes, checked against the limit
// without overflowing.
void check_repeated_bytes(size_t bytes, int64_t times, size_t max_value_bytes) {
  if (times > 0 && bytes > max_value_bytes / static_cast<size_t>(times)) {
    fail("a value of " + std::to_string(bytes) + " bytes repeated " + std::to_string(times) +
         " times exceeds the limit of " + std::to_string(max_value_bytes) +
         " bytes (max_value_bytes)");
  }
}

Value repeat(const Value& sequence, int64_t times, size_t max_value_bytes) {
  if (times < 0) times = 0;
  check_repeated_bytes(value_bytes(sequence), times, max_value_bytes);
  if (sequence.is_string()) {
    const auto& text = sequence.as_string();
    std::string out;
    for (int64_t i = 0; i < times; ++i) out += text;
    return Value(std::move(out));
  }
  const auto& list = sequence.as_list();
  List out;
  for (int64_t i = 0; i < times; ++i) out.insert(out.end(), list.begin(), list.end());
  return Value(std::move(out));
}

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// snprintf of one number with a printf spec made only of flags, width and precision.
template <typename Number>
std::string c_format(const std::string& spec, Number number, size_t max_value_bytes) {
  int size = std::snprintf(nullptr, 0, spec.c_str(), number);
  if (size < 0) fail("format width or precision too large in '" + spec + "'");
  check_value_bytes(static_cast<size_t>(size), max_value_bytes);
  std::string text(static_cast<size_t>(size) + 1, '\0');
  std::snprintf(text.data(), text.size(), spec.c_str(), number);
  text.resize(static_cast<size_t>(size));
  return text;
}

// %s and %r with flags, width and precision as Python applies them: the precision keeps
// that many characters, the width pads with spaces (on the right with '-'), '0' is ignored.
std::string pad_text(std::string text, const std::string& spec, size_t max_value_bytes) {
  size_t i = 0;
  bool left = false;
  while (i < spec.size() && std::string_view("-+ #0").find(spec[i]) != std::string_view::npos)
    left = left || spec[i++] == '-';
  auto number = [&]() {
    size_t value = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
      value = value * 10 + static_cast<size_t>(spec[i++] - '0');
      if (value > max_value_bytes) fail("format width or precision too large in '%" + spec + "'");
    }
    return value;
  };
  const size_t width = number();
  if (i < spec.size() && spec[i] == '.') {
    ++i;
    const size_t precision = number();
    auto chars = unicode::decode(text);
    if (chars.size() > precision)
      text = unicode::encode(std::u32string_view(chars).substr(0, precision));
  }
  if (i != spec.size()) fail("unsupported format specification '%" + spec + "'");
  const size_t length = unicode::length(text);
  if (length >= width) return text;
  check_value_bytes(text.size() + (width - length), max_value_bytes);
  std::string padding(width - length, ' ');
  return left ? text + padding : padding + text;
}

// Python's printf-style `str % args`: %s %r %d %i %f %e %g %x %% with flags, width and
// precision; a tuple supplies several arguments, a dict named ones (%(name)s).
std::string percent_format(const std::string& pattern, const Value& args, size_t max_value_bytes) {
  std::vector<Value> positional =
      args.is_list() && args.is_tuple() ? args.as_list() : std::vector<Value>{args};
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    if (++i >= pattern.size()) fail("incomplete format");
    if (pattern[i] == '%') {
      out += '%';
      continue;
    }
    const Value* value = nullptr;
    if (pattern[i] == '(') {
      size_t close = pattern.find(')', i);
      if (close == std::string::npos || !args.is_dict()) fail("format requires a mapping");
      value = args.as_dict().find(pattern.substr(i + 1, close - i - 1));
      if (!value) fail("format key '" + pattern.substr(i + 1, close - i - 1) + "' not found");
      i = close + 1;
    }
    size_t spec_start = i;
    while (i < pattern.size() &&
           std::string_view("-+ #0123456789.").find(pattern[i]) != std::string_view::npos)
      ++i;
    if (i >= pattern.size()) fail("incomplete format");
    std::string spec = pattern.substr(spec_start, i - spec_start);
    char conversion = pattern[i];
    if (!value) {
      if (next >= positional.size()) fail("not enough arguments for format string");
      value = &positional[next++];
    }
    std::string c_spec = "%" + spec;
    switch (conversion) {
      case 's':
      case 'r': {
        std::string text =
            conversion == 's' ? value->to_string(max_value_bytes) : value->repr(max_value_bytes);
        out += pad_text(std::move(text), spec, max_value_bytes);
        break;
      }
      case 'd':
      case 'i':
      case 'x':
      case 'X':
      case 'o': {
        if (!value->is_number())
          fail("%" + std::string(1, conversion) + " format: a number is required, not " +
               value->type_name());
        long long number = value->is_int()    ? value->as_int()
                           : value->is_bool() ? (value->as_bool() ? 1 : 0)
                                              : static_cast<long long>(value->as_float());
        out += c_format(c_spec + "ll" + (conversion == 'i' ? 'd' : conversion), number,
                        max_value_bytes);
        break;
      }
      case 'f':
      case 'F':
      case 'e':
      case 'E':
      case 'g':
      case 'G':
        if (!value->is_number()) fail("must be real number, not " + value->type_name());
        out += c_format(c_spec + conversion, value->as_double(), max_value_bytes);
        break;
      default:
        fail(std::string("unsupported format character '") + conversion + "'");
    }
    check_value_bytes(out.size(), max_value_bytes);
  }
  if (next < positional.size() && !args.is_dict() && next > 0)
    fail("not all arguments converted during string formatting");
  return out;
}

}  // namespace

Value binary_operation(const std::string& op, const Value& left, const Value& right,
                       size_t max_value_bytes) {
  if (op == "~") {
    std::string left_text = left.to_string(max_value_bytes);
    std::string right_text = right.to_string(max_value_bytes);
    check_value_bytes(left_text.size() + right_text.size(), max_value_bytes);
    return Value(left_text + right_text);
  }
  if (left.is_undefined()) fail_undefined(left);
  if (right.is_undefined()) fail_undefined(right);
  bool numbers = left.is_number() && right.is_number();
  bool integers = is_integral(left) && is_integral(right);
  if (op == "+") {
    if (integers) return Value(integral(left) + integral(right));
    if (numbers) return Value(left.as_double() + right.as_double());
    if ((left.is_string() && right.is_string()) || (left.is_list() && right.is_list()))
      check_value_bytes(value_bytes(left) + value_bytes(right), max_value_bytes);
    if (left.is_string() && right.is_string()) {
      if (!left.is_safe() && !right.is_safe()) return Value(left.as_string() + right.as_string());
      auto markup = [](const Value& v) {
        return v.is_safe() ? v.as_string() : html_escape(v.as_string());
      };
      return Value(markup(left) + markup(right)).mark_safe();
    }
    if (left.is_list() && right.is_list()) {
      List out = left.as_list();
      out.insert(out.end(), right.as_list().begin(), right.as_list().end());
      return Value(std::move(out));
    }
    if (left.is_string())
      fail("can only concatenate str (not \"" + right.type_name() + "\") to str");
    if (left.is_list())
      fail("can only concatenate list (not \"" + right.type_name() + "\") to list");
    unsupported("+", left, right);
  }
  if (op == "-") {
    if (integers) return Value(integral(left) - integral(right));
    if (numbers) return Value(left.as_double() - right.as_double());
    unsupported("-", left, right);
  }
  if (op == "*") {
    if (integers) return Value(integral(left) * integral(right));
    if (numbers) return Value(left.as_double() * right.as_double());
    if ((left.is_string() || left.is_list()) && is_integral(right))
      return repeat(left, integral(right), max_value_bytes);
    if ((right.is_string() || right.is_list()) && is_integral(left))
      return repeat(right, integral(left), max_value_bytes);
    unsupported("*", left, right);
  }
  if (op == "/") {
    if (!numbers) unsupported("/", left, right);
    if (right.as_double() == 0.0) fail("division by zero");
    return Value(left.as_double() / right.as_double());
  }
  if (op == "%" && left.is_string())
    return Value(percent_format(left.as_string(), right, max_value_bytes));
  if (op == "//" || op == "%") {
    if (!numbers) unsupported(op, left, right);
    if (right.as_double() == 0.0)
      fail(op == "%" ? "modulo by zero" : "integer division or modulo by zero");
    if (integers) {
      int64_t q = floor_div(integral(left), integral(right));
      return op == "//" ? Value(q) : Value(integral(left) - q * integral(right));
    }
    double a = left.as_double();
    double b = right.as_double();
    double q = std::floor(a / b);
    return op == "//" ? Value(q) : Value(a - q * b);
  }
  if (op == "**") {
    if (integers && integral(right) >= 0) {
      int64_t result = 1;
      for (int64_t i = 0; i < integral(right); ++i) {
        result *= integral(left);
        if (i > 64) fail("exponent too large");
      }
      return Value(result);
    }
    if (numbers) return Value(std::pow(left.as_double(), right.as_double()));
    unsupported("** or pow()", left, right);
  }
  fail("unknown operator '" + op + "'");
}

std::string html_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Value negate(const Value& value) {
  if (value.is_undefined()) fail_undefined(value);
  if (is_integral(value)) return Value(-integral(value));
  if (value.is_float()) return Value(-value.as_float());
  fail("bad operand type for unary -: '" + value.type_name() + "'");
}

bool less_than(const Value& left, const Value& right) {
  if (left.is_number() && right.is_number()) {
    if (is_integral(left) && is_integral(right)) return integral(left) < integral(right);
    return left.as_double() < right.as_double();
  }
  if (left.is_string() && right.is_string()) return left.as_string() < right.as_string();
  if (left.is_list() && right.is_list()) {
    const auto& a = left.as_list();
    const auto& b = right.as_list();
    for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
      if (!equals(a[i], b[i])) return less_than(a[i], b[i]);
    }
    return a.size() < b.size();
  }
  if (left.is_undefined()) fail_undefined(left);
  if (right.is_undefined()) fail_undefined(right);
  fail("'<' not supported between instances of '" + left.type_name() + "' and '" +
       right.type_name() + "'");
}

bool contains(const Value& container, const Value& item) {
  switch (container.kind()) {
    case Value::Kind::undefined:
      return false;
    case Value::Kind::string:
      if (!item.is_string())
        fail("'in <string>' requires string as left operand, not " + item.type_name());
      return container.as_string().find(item.as_string()) != std::string::npos;
    case Value::Kind::list:
      for (const auto& element : container.as_list()) {
        if (equals(element, item)) return true;
      }
      return false;
    case Value::Kind::dict:
      return item.is_string() && container.as_dict().find(item.as_string()) != nullptr;
    default:
      fail("argument of type '" + container.type_name() + "' is not iterable");
  }
}

bool compare(const std::string& op, const Value& left, const Value& right) {
  if (op == "==") return equals(left, right);
  if (op == "!=") return !equals(left, right);
  if (op == "<") return less_than(left, right);
  if (op == ">") return less_than(right, left);
  if (op == "<=") return !less_than(right, left);
  if (op == ">=") return !less_than(left, right);
  if (op == "in") return contains(right, left);
  if (op == "not in") return !contains(right, left);
  fail("unknown comparison '" + op + "'");
}

}  // namespace weft::chat::jinja
