#include "gguf/gguf_file.hpp"

#include <limits>

#include "gguf/byte_storage.hpp"
#include "gguf/gguf_parser.hpp"
#include "weft/error.hpp"

namespace weft::gguf {
namespace {

[[noreturn]] void wrong_type(std::string_view key, const Value& value, std::string_view wanted) {
  throw Error(ErrorCode::invalid_request, "metadata key '" + std::string(key) + "' has type " +
                                              std::string(to_string(value.type)) + ", expected " +
                                              std::string(wanted));
}

[[noreturn]] void out_of_range(std::string_view key, std::string_view wanted) {
  throw Error(ErrorCode::invalid_request,
              "metadata key '" + std::string(key) + "' is out of range for " + std::string(wanted));
}

uint64_t as_uint(std::string_view key, const Value& value) {
  if (const auto* u = std::get_if<uint64_t>(&value.data)) return *u;
  if (const auto* i = std::get_if<int64_t>(&value.data)) {
    if (*i < 0) out_of_range(key, "an unsigned integer");
    return static_cast<uint64_t>(*i);
  }
  wrong_type(key, value, "an integer");
}

int64_t as_int(std::string_view key, const Value& value) {
  if (const auto* i = std::get_if<int64_t>(&value.data)) return *i;
  if (const auto* u = std::get_if<uint64_t>(&value.data)) {
    if (*u > uint64_t(std::numeric_limits<int64_t>::max())) out_of_range(key, "int64");
    return static_cast<int64_t>(*u);
  }
  wrong_type(key, value, "an integer");
}

double as_float(std::string_view key, const Value& value) {
  if (const auto* d = std::get_if<double>(&value.data)) return *d;
  if (const auto* u = std::get_if<uint64_t>(&value.data)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&value.data)) return static_cast<double>(*i);
  wrong_type(key, value, "a number");
}

const ArrayValue& as_array(std::string_view key, const Value& value, std::string_view wanted) {
  const auto* array = std::get_if<ArrayValue>(&value.data);
  if (array == nullptr) wrong_type(key, value, wanted);
  return *array;
}

}  // namespace

uint64_t TensorView::element_count() const {
  uint64_t count = 1;
  for (auto dim : shape) count *= dim;  // validated at load not to overflow
  return count;
}

uint64_t TensorView::rows() const {
  return shape.empty() ? 0 : element_count() / shape[0];
}

std::shared_ptr<const GgufFile> GgufFile::open(const std::string& path) {
  return GgufParser::parse(map_file(path), path);
}

std::shared_ptr<const GgufFile> GgufFile::from_buffer(std::span<const std::byte> bytes,
                                                      const std::string& name) {
  return GgufParser::parse(copy_bytes(bytes), name);
}

GgufFile::~GgufFile() = default;

const Value* GgufFile::find(std::string_view key) const {
  auto found = metadata_index_.find(key);
  return found == metadata_index_.end() ? nullptr : &metadata_[found->second].value;
}

std::optional<uint64_t> GgufFile::get_uint(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return std::nullopt;
  return as_uint(key, *value);
}

std::optional<int64_t> GgufFile::get_int(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return std::nullopt;
  return as_int(key, *value);
}

std::optional<double> GgufFile::get_float(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return std::nullopt;
  return as_float(key, *value);
}

std::optional<bool> GgufFile::get_bool(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return std::nullopt;
  const auto* flag = std::get_if<bool>(&value->data);
  if (flag == nullptr) wrong_type(key, *value, "bool");
  return *flag;
}

std::optional<std::string> GgufFile::get_string(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return std::nullopt;
  const auto* text = std::get_if<std::string>(&value->data);
  if (text == nullptr) wrong_type(key, *value, "string");
  return *text;
}

std::optional<std::vector<std::string>> GgufFile::get_string_array(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return std::nullopt;
  const ArrayValue& array = as_array(key, *value, "an array of strings");
  if (array.element_type != ValueType::string && !array.elements.empty()) {
    wrong_type(key, array.elements.front(), "an array of strings");
  }
  std::vector<std::string> result;
  result.reserve(array.elements.size());
  for (const auto& element : array.elements) result.push_back(std::get<std::string>(element.data));
  return result;
}

std::optional<std::vector<float>> GgufFile::get_float_array(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return std::nullopt;
  const ArrayValue& array = as_array(key, *value, "an array of numbers");
  std::vector<float> result;
  result.reserve(array.elements.size());
  for (const auto& element : array.elements) {
    result.push_back(static_cast<float>(as_float(key, element)));
  }
  return result;
}

std::optional<std::vector<int64_t>> GgufFile::get_int_array(std::string_view key) const {
  const Value* value = find(key);
  if (value == nullptr) return std::nullopt;
  const ArrayValue& array = as_array(key, *value, "an array of integers");
  std::vector<int64_t> result;
  result.reserve(array.elements.size());
  for (const auto& element : array.elements) result.push_back(as_int(key, element));
  return result;
}

const TensorView* GgufFile::find_tensor(std::string_view name) const {
  auto found = tensor_index_.find(name);
  return found == tensor_index_.end() ? nullptr : &tensors_[found->second];
}

void GgufFile::release_resident(const std::byte* data, uint64_t bytes) const {
  const auto all = storage_->bytes();
  if (data < all.data() || bytes > static_cast<uint64_t>(all.data() + all.size() - data)) return;
  storage_->release_resident({data, static_cast<size_t>(bytes)});
}

}  // namespace weft::gguf
