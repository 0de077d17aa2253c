// GGUF metadata values: every scalar type, strings, and (nested) arrays.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace weft::gguf {

// Values are the ids GGUF stores.
enum class ValueType : uint32_t {
  uint8 = 0,
  int8 = 1,
  uint16 = 2,
  int16 = 3,
  uint32 = 4,
  int32 = 5,
  float32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  uint64 = 10,
  int64 = 11,
  float64 = 12,
};

struct Value;
struct ArrayValue {
  ValueType element_type = ValueType::uint8;
  std::vector<Value> elements;
  friend bool operator==(const ArrayValue&, const ArrayValue&) = default;
};

struct Value {
  ValueType type = ValueType::uint8;
  // uint8..uint64 → uint64_t; int8..int64 → int64_t; float32/64 → double; boolean → bool.
  std::variant<uint64_t, int64_t, double, bool, std::string, ArrayValue> data;
  friend bool operator==(const Value&, const Value&) = default;
};

// "uint8", "string", "array", ... as the GGUF specification names the types.
std::string_view to_string(ValueType type);
// The type for a raw id read from a file, or nullopt when the id is unknown.
std::optional<ValueType> value_type_from_id(uint32_t id);
// Encoded size of a scalar type; 0 for string and array.
uint64_t scalar_size(ValueType type);

struct MetadataEntry {
  std::string key;
  Value value;
  friend bool operator==(const MetadataEntry&, const MetadataEntry&) = default;
};

}  // namespace weft::gguf
