#include "gguf/gguf_writer.hpp"

#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>

#include "gguf/value_check.hpp"
#include "weft/error.hpp"

namespace weft::gguf {
namespace {

constexpr uint32_t kVersion = 3;

[[noreturn]] void fail(const std::string& message) {
  throw Error(ErrorCode::invalid_request, "GGUF writer: " + message);
}

class Encoder {
 public:
  explicit Encoder(std::ostream& out) : out_(out) {}

  template <class T>
  void put(T value) {
    out_.write(reinterpret_cast<const char*>(&value), sizeof(T));
    written_ += sizeof(T);
  }
  void put_bytes(const void* data, size_t size) {
    out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    written_ += size;
  }
  void put_string(const std::string& text) {
    put<uint64_t>(text.size());
    put_bytes(text.data(), text.size());
  }
  void pad_to(uint64_t alignment) {
    static constexpr char kZeros[64] = {};
    for (uint64_t left = (alignment - written_ % alignment) % alignment; left > 0;) {
      uint64_t chunk = std::min<uint64_t>(left, sizeof(kZeros));
      put_bytes(kZeros, chunk);
      left -= chunk;
    }
  }

  void put_value(const Value& value) {
    switch (value.type) {
      case ValueType::uint8:
        return put(static_cast<uint8_t>(std::get<uint64_t>(value.data)));
      case ValueType::uint16:
        return put(static_cast<uint16_t>(std::get<uint64_t>(value.data)));
      case ValueType::uint32:
        return put(static_cast<uint32_t>(std::get<uint64_t>(value.data)));
      case ValueType::uint64:
        return put(std::get<uint64_t>(value.data));
      case ValueType::int8:
        return put(static_cast<int8_t>(std::get<int64_t>(value.data)));
      case ValueType::int16:
        return put(static_cast<int16_t>(std::get<int64_t>(value.data)));
      case ValueType::int32:
        return put(static_cast<int32_t>(std::get<int64_t>(value.data)));
      case ValueType::int64:
        return put(std::get<int64_t>(value.data));
      case ValueType::float32:
        return put(static_cast<float>(std::get<double>(value.data)));
      case ValueType::float64:
        return put(std::get<double>(value.data));
      case ValueType::boolean:
        return put<uint8_t>(std::get<bool>(value.data) ? 1 : 0);
      case ValueType::string:
        return put_string(std::get<std::string>(value.data));
      case ValueType::array: {
        const auto& array = std::get<ArrayValue>(value.data);
        put(static_cast<uint32_t>(array.element_type));
        put<uint64_t>(array.elements.size());
        for (const auto& element : array.elements) put_value(element);
        return;
      }
    }
  }

  uint64_t written() const { return written_; }

 private:
  std::ostream& out_;
  uint64_t written_ = 0;
};

uint64_t align_up(uint64_t offset, uint64_t alignment) {
  return offset + (alignment - offset % alignment) % alignment;
}

template <class T>
Value array_of(ValueType element_type, const std::vector<T>& values) {
  ArrayValue array{element_type, {}};
  array.elements.reserve(values.size());
  for (const auto& value : values) {
    Value element;
    element.type = element_type;
    if constexpr (std::is_same_v<T, float>) {
      element.data = double{value};
    } else if constexpr (std::is_same_v<T, int32_t>) {
      element.data = int64_t{value};
    } else {
      element.data = value;
    }
    array.elements.push_back(std::move(element));
  }
  return Value{ValueType::array, std::move(array)};
}

}  // namespace

GgufWriter GgufWriter::copy_of(const GgufFile& file) {
  GgufWriter writer;
  writer.metadata_ = file.metadata();
  for (const auto& tensor : file.tensors()) {
    writer.tensors_.push_back(
        {tensor.name, tensor.type, tensor.shape, {tensor.data, tensor.size_bytes}});
  }
  return writer;
}

void GgufWriter::set(const std::string& key, Value value) {
  if (key.empty()) fail("metadata key is empty");
  check_value(value, "metadata key '" + key + "'");
  for (auto& entry : metadata_) {
    if (entry.key == key) {
      entry.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({key, std::move(value)});
}

void GgufWriter::set_string(const std::string& key, std::string value) {
  set(key, {ValueType::string, std::move(value)});
}
void GgufWriter::set_uint32(const std::string& key, uint32_t value) {
  set(key, {ValueType::uint32, uint64_t{value}});
}
void GgufWriter::set_int32(const std::string& key, int32_t value) {
  set(key, {ValueType::int32, int64_t{value}});
}
void GgufWriter::set_float32(const std::string& key, float value) {
  set(key, {ValueType::float32, double{value}});
}
void GgufWriter::set_bool(const std::string& key, bool value) {
  set(key, {ValueType::boolean, value});
}
void GgufWriter::set_string_array(const std::string& key, const std::vector<std::string>& values) {
  set(key, array_of(ValueType::string, values));
}
void GgufWriter::set_float32_array(const std::string& key, const std::vector<float>& values) {
  set(key, array_of(ValueType::float32, values));
}
void GgufWriter::set_int32_array(const std::string& key, const std::vector<int32_t>& values) {
  set(key, array_of(ValueType::int32, values));
}

bool GgufWriter::remove(std::string_view key) {
  return std::erase_if(metadata_, [&](const auto& entry) { return entry.key == key; }) > 0;
}

void GgufWriter::set_alignment(uint32_t alignment) {
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    fail("alignment " + std::to_string(alignment) + " is not a power of two");
  }
  set_uint32("general.alignment", alignment);
}

uint64_t GgufWriter::alignment() const {
  for (const auto& entry : metadata_) {
    if (entry.key != "general.alignment") continue;
    const auto* value = std::get_if<uint64_t>(&entry.value.data);
    if (value == nullptr || *value == 0 || (*value & (*value - 1)) != 0) {
      fail("metadata key 'general.alignment' must be an unsigned power of two");
    }
    return *value;
  }
  return kDefaultAlignment;
}

void GgufWriter::add_tensor(TensorInput tensor) {
  const std::string where = "tensor '" + tensor.name + "'";
  if (tensor.name.empty()) fail("tensor name is empty");
  for (const auto& existing : tensors_) {
    if (existing.name == tensor.name) fail("duplicate " + where);
  }
  if (tensor.shape.empty() || tensor.shape.size() > kMaxTensorDims) {
    fail(where + " must have 1 to 4 dimensions");
  }
  auto traits = tensor::traits_of(static_cast<uint32_t>(tensor.type));
  if (!traits) fail(where + " has an unknown element type");
  uint64_t elements = 1;
  for (auto dim : tensor.shape) {
    if (dim == 0 || __builtin_mul_overflow(elements, dim, &elements) ||
        elements > uint64_t(std::numeric_limits<int64_t>::max())) {
      fail(where + " has a zero or overflowing dimension");
    }
  }
  if (tensor.shape[0] % traits->block_size != 0) {
    fail(where + " row length is not a multiple of the block size");
  }
  auto bytes = tensor::bytes_for(tensor.type, elements);
  if (!bytes || *bytes != tensor.data.size()) {
    fail(where + " has " + std::to_string(tensor.data.size()) + " bytes of data; its shape and " +
         std::string(traits->name) + " need " + (bytes ? std::to_string(*bytes) : "too many"));
  }
  tensors_.push_back(std::move(tensor));
}

void GgufWriter::write(std::ostream& out) const {
  const uint64_t align = alignment();
  for (const auto& entry : metadata_) check_value(entry.value, "metadata key '" + entry.key + "'");

  Encoder encoder(out);
  encoder.put_bytes("GGUF", 4);
  encoder.put(kVersion);
  encoder.put<uint64_t>(tensors_.size());
  encoder.put<uint64_t>(metadata_.size());
  for (const auto& entry : metadata_) {
    encoder.put_string(entry.key);
    encoder.put(static_cast<uint32_t>(entry.value.type));
    encoder.put_value(entry.value);
  }
  uint64_t offset = 0;
  for (const auto& tensor : tensors_) {
    encoder.put_string(tensor.name);
    encoder.put<uint32_t>(static_cast<uint32_t>(tensor.shape.size()));
    for (auto dim : tensor.shape) encoder.put(dim);
    encoder.put(static_cast<uint32_t>(tensor.type));
    encoder.put(offset);
    offset = align_up(offset + tensor.data.size(), align);
  }
  // As ggml writes it: the data section starts aligned and every tensor's data, the last
  // one included, is padded to the alignment, so the files are byte-identical to llama.cpp's.
  encoder.pad_to(align);
  for (const auto& tensor : tensors_) {
    encoder.put_bytes(tensor.data.data(), tensor.data.size());
    encoder.pad_to(align);
  }
  if (!out) fail("writing failed");
}

void GgufWriter::write(const std::string& path) const {
  const std::string temporary = path + ".partial";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    if (!out) fail("cannot create '" + temporary + "'");
    try {
      write(out);
      out.close();
      if (!out) fail("cannot write '" + temporary + "'");
    } catch (...) {
      std::remove(temporary.c_str());
      throw;
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    fail("cannot rename '" + temporary + "' to '" + path + "'");
  }
}

std::vector<std::byte> GgufWriter::to_bytes() const {
  std::ostringstream out(std::ios::binary);
  write(out);
  const std::string text = std::move(out).str();
  const auto* begin = reinterpret_cast<const std::byte*>(text.data());
  return {begin, begin + text.size()};
}

}  // namespace weft::gguf
