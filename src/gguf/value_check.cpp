#include "gguf/value_check.hpp"

#include <limits>

#include "gguf/gguf_parser.hpp"
#include "weft/error.hpp"

namespace weft::gguf {
namespace {

[[noreturn]] void fail(const std::string& where, const std::string& problem) {
  throw Error(ErrorCode::invalid_request, where + ": " + problem);
}

template <class Payload>
const Payload& payload(const Value& value, const std::string& where) {
  const auto* held = std::get_if<Payload>(&value.data);
  if (held == nullptr) {
    fail(where, "payload does not match type " + std::string(to_string(value.type)));
  }
  return *held;
}

void check_unsigned(const Value& value, const std::string& where, uint64_t max) {
  if (payload<uint64_t>(value, where) > max) {
    fail(where, "value out of range for " + std::string(to_string(value.type)));
  }
}

void check_signed(const Value& value, const std::string& where, int64_t min, int64_t max) {
  auto number = payload<int64_t>(value, where);
  if (number < min || number > max) {
    fail(where, "value out of range for " + std::string(to_string(value.type)));
  }
}

void check_at_depth(const Value& value, const std::string& where, int depth) {
  switch (value.type) {
    case ValueType::uint8:
      return check_unsigned(value, where, std::numeric_limits<uint8_t>::max());
    case ValueType::uint16:
      return check_unsigned(value, where, std::numeric_limits<uint16_t>::max());
    case ValueType::uint32:
      return check_unsigned(value, where, std::numeric_limits<uint32_t>::max());
    case ValueType::uint64:
      return check_unsigned(value, where, std::numeric_limits<uint64_t>::max());
    case ValueType::int8:
      return check_signed(value, where, INT8_MIN, INT8_MAX);
    case ValueType::int16:
      return check_signed(value, where, INT16_MIN, INT16_MAX);
    case ValueType::int32:
      return check_signed(value, where, INT32_MIN, INT32_MAX);
    case ValueType::int64:
      return check_signed(value, where, INT64_MIN, INT64_MAX);
    case ValueType::float32:
    case ValueType::float64:
      payload<double>(value, where);
      return;
    case ValueType::boolean:
      payload<bool>(value, where);
      return;
    case ValueType::string:
      payload<std::string>(value, where);
      return;
    case ValueType::array: {
      if (depth >= GgufParser::kMaxArrayDepth) fail(where, "arrays nested too deeply");
      const auto& array = payload<ArrayValue>(value, where);
      if (!value_type_from_id(static_cast<uint32_t>(array.element_type))) {
        fail(where, "unknown array element type");
      }
      for (size_t i = 0; i < array.elements.size(); ++i) {
        const std::string element_where = where + "[" + std::to_string(i) + "]";
        if (array.elements[i].type != array.element_type) {
          fail(element_where, "element of type " + std::string(to_string(array.elements[i].type)) +
                                  " in an array of " + std::string(to_string(array.element_type)));
        }
        check_at_depth(array.elements[i], element_where, depth + 1);
      }
      return;
    }
  }
  fail(where, "unknown value type " + std::to_string(static_cast<uint32_t>(value.type)));
}

}  // namespace

void check_value(const Value& value, const std::string& where) {
  check_at_depth(value, where, 0);
}

}  // namespace weft::gguf
