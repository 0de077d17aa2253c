// Read-only bytes that outlive every view into them: a memory-mapped file or an owned,
// aligned copy of a caller's buffer.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace weft::gguf {

class ByteStorage {
 public:
  virtual ~ByteStorage() = default;
  virtual std::span<const std::byte> bytes() const = 0;
  // Says that the whole pages inside `range` (part of bytes()) will not be read soon, so that
  // a file mapping can drop them from the resident set (they are read from the file again if
  // they are). Bytes in memory stay as they are.
  virtual void release_resident(std::span<const std::byte> range) const { (void)range; }
};

// Maps the whole file read-only; throws weft::Error naming the path when it cannot.
std::shared_ptr<const ByteStorage> map_file(const std::string& path);

// Copies `bytes` into storage aligned like a page, so tensor data keeps the alignment the
// file promises.
std::shared_ptr<const ByteStorage> copy_bytes(std::span<const std::byte> bytes);

}  // namespace weft::gguf
