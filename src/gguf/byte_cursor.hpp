// Bounds-checked little-endian reads over untrusted bytes. Every failure throws weft::Error
// naming the source, what was being read and the byte offset.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace weft::gguf {

static_assert(std::endian::native == std::endian::little,
              "the GGUF reader reinterprets little-endian data in place");

class ByteCursor {
 public:
  ByteCursor(std::span<const std::byte> bytes, std::string source)
      : bytes_(bytes), source_(std::move(source)) {}

  uint64_t offset() const { return offset_; }
  uint64_t size() const { return bytes_.size(); }
  uint64_t remaining() const { return bytes_.size() - offset_; }
  const std::string& source() const { return source_; }

  template <class T>
  requires std::is_trivially_copyable_v<T> T read(std::string_view what) {
    require(sizeof(T), what);
    T value;
    std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }

  // A GGUF string: uint64 length, then that many bytes (not NUL-terminated).
  std::string read_string(std::string_view what);

  // Throws "truncated" unless `count` more bytes are available.
  void require(uint64_t count, std::string_view what) const;

  [[noreturn]] void fail(const std::string& problem, uint64_t at) const;

 private:
  std::span<const std::byte> bytes_;
  std::string source_;
  uint64_t offset_ = 0;
};

}  // namespace weft::gguf
