#include "gguf/value_format.hpp"

#include <charconv>
#include <cstdio>

namespace weft::gguf {
namespace {

template <class Float>
std::string shortest(Float value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

std::string format_array(const ArrayValue& array, const FormatLimits& limits) {
  std::string text = "[";
  text.append(to_string(array.element_type)).append(" \xc3\x97 ");
  text.append(std::to_string(array.elements.size())).append("]");
  size_t shown = 0;
  for (const auto& element : array.elements) {
    if (shown == limits.array_elements) {
      text += ", ...";
      break;
    }
    text += shown == 0 ? " " : ", ";
    if (element.type == ValueType::array) {
      text.append("(").append(format_value(element, limits)).append(")");
    } else {
      text.append(format_value(element, limits));
    }
    ++shown;
  }
  return text;
}

}  // namespace

std::string format_float32(float value) {
  return shortest(value);
}
std::string format_float64(double value) {
  return shortest(value);
}

std::string quote(const std::string& text, size_t max_bytes) {
  std::string quoted = "\"";
  size_t shown = 0;
  for (char c : text) {
    if (shown == max_bytes) break;
    auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      quoted += '\\';
      quoted += c;
    } else if (c == '\n') {
      quoted += "\\n";
    } else if (c == '\t') {
      quoted += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      char escape[8];
      std::snprintf(escape, sizeof(escape), "\\x%02x", byte);
      quoted += escape;
    } else {
      quoted += c;
    }
    ++shown;
  }
  quoted += '"';
  if (shown < text.size())
    quoted.append("... (").append(std::to_string(text.size())).append(" bytes)");
  return quoted;
}

std::string format_value(const Value& value, const FormatLimits& limits) {
  switch (value.type) {
    case ValueType::float32:
      return format_float32(static_cast<float>(std::get<double>(value.data)));
    case ValueType::float64:
      return format_float64(std::get<double>(value.data));
    case ValueType::boolean:
      return std::get<bool>(value.data) ? "true" : "false";
    case ValueType::string:
      return quote(std::get<std::string>(value.data), limits.string_bytes);
    case ValueType::array:
      return format_array(std::get<ArrayValue>(value.data), limits);
    case ValueType::int8:
    case ValueType::int16:
    case ValueType::int32:
    case ValueType::int64:
      return std::to_string(std::get<int64_t>(value.data));
    default:
      return std::to_string(std::get<uint64_t>(value.data));
  }
}

}  // namespace weft::gguf
