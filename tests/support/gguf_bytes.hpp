// Hand-assembled GGUF bytes for tests, independent of weft's own writer: each call appends
// one field exactly as the GGUF specification lays it out (little-endian).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace weft::test {

class GgufBytes {
 public:
  static constexpr uint32_t kString = 8, kArray = 9, kUint32 = 4;

  // Magic, version and the two counts.
  GgufBytes& header(uint32_t version, uint64_t tensor_count, uint64_t metadata_count) {
    raw("GGUF");
    return u32(version).u64(tensor_count).u64(metadata_count);
  }

  GgufBytes& u8(uint8_t value) { return append(value); }
  GgufBytes& u16(uint16_t value) { return append(value); }
  GgufBytes& u32(uint32_t value) { return append(value); }
  GgufBytes& u64(uint64_t value) { return append(value); }
  GgufBytes& i32(int32_t value) { return append(value); }
  GgufBytes& f32(float value) { return append(value); }
  GgufBytes& f64(double value) { return append(value); }
  GgufBytes& str(std::string_view text) {
    u64(text.size());
    return raw(text);
  }
  GgufBytes& raw(std::string_view text) {
    for (char c : text) bytes_.push_back(static_cast<std::byte>(c));
    return *this;
  }
  GgufBytes& zeros(size_t count) {
    bytes_.insert(bytes_.end(), count, std::byte{0});
    return *this;
  }
  GgufBytes& pad_to(size_t alignment) {
    return zeros((alignment - size() % alignment) % alignment);
  }

  // A metadata entry holding one uint32 / string.
  GgufBytes& kv_u32(std::string_view key, uint32_t value) {
    return str(key).u32(kUint32).u32(value);
  }
  GgufBytes& kv_string(std::string_view key, std::string_view value) {
    return str(key).u32(kString).str(value);
  }
  // A tensor info: name, dimension count, dimensions, element type id, data offset.
  GgufBytes& tensor_info(std::string_view name, const std::vector<uint64_t>& dims, uint32_t type,
                         uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(dims.size()));
    for (auto dim : dims) u64(dim);
    return u32(type).u64(offset);
  }

  size_t size() const { return bytes_.size(); }
  const std::vector<std::byte>& bytes() const { return bytes_; }

 private:
  template <class T>
  GgufBytes& append(T value) {
    std::byte buffer[sizeof(T)];
    std::memcpy(buffer, &value, sizeof(T));
    bytes_.insert(bytes_.end(), buffer, buffer + sizeof(T));
    return *this;
  }

  std::vector<std::byte> bytes_;
};

}  // namespace weft::test
