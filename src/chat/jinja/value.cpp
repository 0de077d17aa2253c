#include "chat/jinja/value.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "chat/jinja/error.hpp"

namespace weft::chat::jinja {

const Value* Dict::find(const std::string& key) const {
  for (const auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

Value* Dict::find(const std::string& key) {
  for (auto& [name, value] : entries_) {
    if (name == key) return &value;
  }
  return nullptr;
}

void Dict::set(const std::string& key, Value value) {
  if (auto* existing = find(key)) {
    *existing = std::move(value);
  } else {
    entries_.emplace_back(key, std::move(value));
  }
}

const Value* CallArgs::find_named(const std::string& name) const {
  for (const auto& [key, value] : named) {
    if (key == name) return &value;
  }
  return nullptr;
}

Value Value::from_json(const nlohmann::ordered_json& json) {
  switch (json.type()) {
    case nlohmann::ordered_json::value_t::null:
      return Value(None{});
    case nlohmann::ordered_json::value_t::boolean:
      return Value(json.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
      return Value(json.get<int64_t>());
    case nlohmann::ordered_json::value_t::number_unsigned: {
      auto value = json.get<uint64_t>();
      if (value > static_cast<uint64_t>(INT64_MAX)) return Value(static_cast<double>(value));
      return Value(static_cast<int64_t>(value));
    }
    case nlohmann::ordered_json::value_t::number_float:
      return Value(json.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return Value(json.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      List list;
      list.reserve(json.size());
      for (const auto& item : json) list.push_back(from_json(item));
      return Value(std::move(list));
    }
    case nlohmann::ordered_json::value_t::object: {
      auto dict = std::make_shared<Dict>();
      for (const auto& [key, item] : json.items()) dict->set(key, from_json(item));
      return Value(std::move(dict));
    }
    default:
      throw TemplateError(TemplateError::Kind::runtime,
                          "unsupported JSON value (binary or discarded)");
  }
}

double Value::as_double() const {
  if (is_bool()) return as_bool() ? 1.0 : 0.0;
  if (is_int()) return static_cast<double>(as_int());
  return as_float();
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::undefined:
    case Kind::none:
      return false;
    case Kind::boolean:
      return as_bool();
    case Kind::integer:
      return as_int() != 0;
    case Kind::floating:
      return as_float() != 0.0;
    case Kind::string:
      return !as_string().empty();
    case Kind::list:
      return !as_list().empty();
    case Kind::dict:
      return as_dict().size() != 0;
    case Kind::callable:
      return true;
  }
  return false;
}

std::string Value::type_name() const {
  switch (kind()) {
    case Kind::undefined:
      return "Undefined";
    case Kind::none:
      return "NoneType";
    case Kind::boolean:
      return "bool";
    case Kind::integer:
      return "int";
    case Kind::floating:
      return "float";
    case Kind::string:
      return "str";
    case Kind::list:
      return "list";
    case Kind::dict:
      return as_dict().kind() == Dict::Kind::namespace_object ? "Namespace" : "dict";
    case Kind::callable:
      return "function";
  }
  return "object";
}

std::string format_python_float(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::scientific);
  std::string scientific(buffer, result.ptr);
  // scientific is "[-]d[.ddd]e[+-]XX": split into sign, digits and the decimal exponent.
  bool negative = scientific[0] == '-';
  if (negative) scientific.erase(0, 1);
  auto e = scientific.find('e');
  int exponent = std::stoi(scientific.substr(e + 1));
  std::string digits = scientific.substr(0, e);
  if (digits.size() > 1) digits.erase(1, 1);  // drop the '.'
  std::string out;
  if (exponent >= 16 || exponent < -4) {
    out.append(digits, 0, 1);
    if (digits.size() > 1) out.append(".").append(digits, 1);
    char exponent_text[16];
    std::snprintf(exponent_text, sizeof exponent_text, "e%c%02d", exponent < 0 ? '-' : '+',
                  std::abs(exponent));
    out += exponent_text;
  } else if (exponent < 0) {
    out.append("0.").append(static_cast<size_t>(-exponent - 1), '0').append(digits);
  } else {
    auto integer_digits = static_cast<size_t>(exponent) + 1;
    if (digits.size() <= integer_digits) {
      out.append(digits).append(integer_digits - digits.size(), '0').append(".0");
    } else {
      out.append(digits, 0, integer_digits).append(".").append(digits, integer_digits);
    }
  }
  if (negative) out.insert(out.begin(), '-');
  return out;
}

namespace {

std::string python_string_repr(const std::string& text) {
  bool has_single = text.find('\'') != std::string::npos;
  bool has_double = text.find('"') != std::string::npos;
  char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  for (unsigned char c : text) {
    if (c == quote || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\x%02x", c);
      out += escape;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += quote;
  return out;
}

}  // namespace

size_t value_bytes(const Value& value) {
  auto item_bytes = [](const Value& item) {
    return sizeof(Value) + (item.is_string() ? item.as_string().size() : 0);
  };
  if (value.is_string()) return value.as_string().size();
  size_t total = 0;
  if (value.is_list()) {
    for (const auto& item : value.as_list()) total += item_bytes(item);
  } else if (value.is_dict()) {
    for (const auto& [key, item] : value.as_dict().entries())
      total += key.size() + item_bytes(item);
  }
  return total;
}

void check_value_bytes(size_t bytes, size_t max_bytes) {
  if (bytes > max_bytes) {
    fail("a value of " + std::to_string(bytes) + " bytes exceeds the limit of " +
         std::to_string(max_bytes) + " bytes (max_value_bytes)");
  }
}

std::string Value::repr(size_t max_bytes) const {
  switch (kind()) {
    case Kind::undefined:
      return "";
    case Kind::none:
      return "None";
    case Kind::boolean:
      return as_bool() ? "True" : "False";
    case Kind::integer:
      return std::to_string(as_int());
    case Kind::floating:
      return format_python_float(as_float());
    case Kind::string:
      return python_string_repr(as_string());
    case Kind::list: {
      std::string out = is_tuple() ? "(" : "[";
      bool first = true;
      for (const auto& item : as_list()) {
        if (!first) out += ", ";
        first = false;
        out += item.repr(max_bytes);
        check_value_bytes(out.size(), max_bytes);
      }
      if (is_tuple() && as_list().size() == 1) out += ",";
      out += is_tuple() ? ")" : "]";
      return out;
    }
    case Kind::dict: {
      if (as_dict().kind() == Dict::Kind::namespace_object) return "<Namespace>";
      std::string out = "{";
      bool first = true;
      for (const auto& [key, item] : as_dict().entries()) {
        if (!first) out += ", ";
        first = false;
        out += python_string_repr(key) + ": " + item.repr(max_bytes);
        check_value_bytes(out.size(), max_bytes);
      }
      return out + "}";
    }
    case Kind::callable:
      return "<function " + as_callable().name + ">";
  }
  return "";
}

std::string Value::to_string(size_t max_bytes) const {
  if (is_string()) return as_string();
  return repr(max_bytes);
}

bool equals(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) {
    if (!a.is_float() && !b.is_float()) {
      auto as_integer = [](const Value& v) {
        return v.is_bool() ? int64_t{v.as_bool()} : v.as_int();
      };
      return as_integer(a) == as_integer(b);
    }
    return a.as_double() == b.as_double();
  }
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::undefined:
    case Value::Kind::none:
      return true;
    case Value::Kind::string:
      return a.as_string() == b.as_string();
    case Value::Kind::list: {
      const auto& left = a.as_list();
      const auto& right = b.as_list();
      if (a.is_tuple() != b.is_tuple() || left.size() != right.size()) return false;
      for (size_t i = 0; i < left.size(); ++i) {
        if (!equals(left[i], right[i])) return false;
      }
      return true;
    }
    case Value::Kind::dict: {
      const auto& left = a.as_dict();
      const auto& right = b.as_dict();
      if (&left == &right) return true;
      if (left.kind() != Dict::Kind::plain || right.kind() != Dict::Kind::plain) return false;
      if (left.size() != right.size()) return false;
      for (const auto& [key, value] : left.entries()) {
        const auto* other = right.find(key);
        if (!other || !equals(value, *other)) return false;
      }
      return true;
    }
    case Value::Kind::callable:
      return &a.as_callable() == &b.as_callable();
    default:
      return false;
  }
}

namespace {

void append_json_string(std::string& out, const std::string& text) {
  out += '"';
  for (unsigned char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (c < 0x20) {
          char escape[8];
          std::snprintf(escape, sizeof escape, "\\u%04x", c);
          out += escape;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_json(std::string& out, const Value& value, std::optional<int> indent, int depth,
                 size_t max_bytes) {
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<size_t>(*indent * level), ' ');
  };
  // Python's json.dumps uses "," between items when indenting (the line break follows).
  const char* item_separator = indent ? "," : ", ";
  switch (value.kind()) {
    case Value::Kind::none:
      out += "null";
      return;
    case Value::Kind::boolean:
      out += value.as_bool() ? "true" : "false";
      return;
    case Value::Kind::integer:
      out += std::to_string(value.as_int());
      return;
    case Value::Kind::floating: {
      double f = value.as_float();
      if (std::isnan(f)) {
        out += "NaN";
      } else if (std::isinf(f)) {
        out += f > 0 ? "Infinity" : "-Infinity";
      } else {
        out += format_python_float(f);
      }
      return;
    }
    case Value::Kind::string:
      append_json_string(out, value.as_string());
      return;
    case Value::Kind::list: {
      const auto& list = value.as_list();
      if (list.empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (size_t i = 0; i < list.size(); ++i) {
        if (i > 0) out += item_separator;
        if (indent) newline(depth + 1);
        append_json(out, list[i], indent, depth + 1, max_bytes);
        check_value_bytes(out.size(), max_bytes);
      }
      if (indent) newline(depth);
      out += ']';
      return;
    }
    case Value::Kind::dict: {
      const auto& entries = value.as_dict().entries();
      if (entries.empty()) {
        out += "{}";
        return;
      }
      out += '{';
      for (size_t i = 0; i < entries.size(); ++i) {
        if (i > 0) out += item_separator;
        if (indent) newline(depth + 1);
        append_json_string(out, entries[i].first);
        out += ": ";
        append_json(out, entries[i].second, indent, depth + 1, max_bytes);
        check_value_bytes(out.size(), max_bytes);
      }
      if (indent) newline(depth);
      out += '}';
      return;
    }
    case Value::Kind::undefined:
    case Value::Kind::callable:
      fail("Object of type " + value.type_name() + " is not JSON serializable");
  }
}

}  // namespace

std::string to_python_json(const Value& value, std::optional<int> indent, size_t max_bytes) {
  std::string out;
  append_json(out, value, indent, 0, max_bytes);
  return out;
}

}  // namespace weft::chat::jinja
