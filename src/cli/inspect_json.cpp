#include "cli/inspect_json.hpp"

#include "gguf/value_format.hpp"

namespace weft::cli {
namespace {

using nlohmann::ordered_json;

ordered_json value_json(const gguf::Value& value, size_t array_limit);

ordered_json array_json(const gguf::ArrayValue& array, size_t array_limit) {
  ordered_json elements = ordered_json::array();
  for (size_t i = 0; i < array.elements.size() && i < array_limit; ++i) {
    elements.push_back(value_json(array.elements[i], array_limit));
  }
  return elements;
}

ordered_json value_json(const gguf::Value& value, size_t array_limit) {
  using gguf::ValueType;
  switch (value.type) {
    case ValueType::float32:
      // Through the float's shortest text, so 1e-5f prints as 1e-05, not 9.99999974737875e-06.
      return std::stod(gguf::format_float32(static_cast<float>(std::get<double>(value.data))));
    case ValueType::float64:
      return std::get<double>(value.data);
    case ValueType::boolean:
      return std::get<bool>(value.data);
    case ValueType::string:
      return std::get<std::string>(value.data);
    case ValueType::array:
      return array_json(std::get<gguf::ArrayValue>(value.data), array_limit);
    case ValueType::int8:
    case ValueType::int16:
    case ValueType::int32:
    case ValueType::int64:
      return std::get<int64_t>(value.data);
    default:
      return std::get<uint64_t>(value.data);
  }
}

ordered_json entry_json(const gguf::Value& value, size_t array_limit) {
  ordered_json entry;
  entry["type"] = gguf::to_string(value.type);
  if (const auto* array = std::get_if<gguf::ArrayValue>(&value.data)) {
    entry["element_type"] = gguf::to_string(array->element_type);
    entry["count"] = array->elements.size();
    if (array->elements.size() > array_limit) entry["truncated"] = true;
  }
  entry["value"] = value_json(value, array_limit);
  return entry;
}

}  // namespace

ordered_json inspect_json(const gguf::GgufFile& file, size_t array_limit) {
  ordered_json out;
  out["path"] = file.path();
  out["version"] = file.version();
  out["file_size"] = file.file_size();
  out["alignment"] = file.alignment();
  out["data_offset"] = file.data_offset();
  ordered_json metadata = ordered_json::object();
  for (const auto& entry : file.metadata())
    metadata[entry.key] = entry_json(entry.value, array_limit);
  out["metadata"] = std::move(metadata);
  ordered_json tensors = ordered_json::array();
  for (const auto& tensor : file.tensors()) {
    tensors.push_back({{"name", tensor.name},
                       {"type", tensor::traits_of(tensor.type).name},
                       {"shape", tensor.shape},
                       {"offset", tensor.offset},
                       {"file_offset", file.data_offset() + tensor.offset},
                       {"bytes", tensor.size_bytes}});
  }
  out["tensors"] = std::move(tensors);
  return out;
}

}  // namespace weft::cli
