// Memory of its own anonymous mapping, for the large buffers that live as long as a model
// (repacked weights, KV pages). The kernel supplies pages on first touch and takes them all
// back when the buffer is destroyed. Through malloc, a freed block that lies below live ones
// stays resident: once the first model's large blocks were freed, glibc raised its mmap
// threshold and put the next model's weights in its heap, so each SIGHUP reload left the old
// model's weights resident (issue 19: +51 MB after three reloads of a SmolLM2-135M Q4_K_M).
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::tensor {

class MappedMemory {
 public:
  MappedMemory() = default;
  // `bytes` of zeroed memory, aligned to the system page (at least 4096 bytes). Reserves
  // address space only: untouched pages cost no memory. Throws std::bad_alloc when the
  // mapping fails.
  explicit MappedMemory(uint64_t bytes);
  ~MappedMemory();
  MappedMemory(MappedMemory&& other) noexcept;
  MappedMemory& operator=(MappedMemory&& other) noexcept;
  MappedMemory(const MappedMemory&) = delete;
  MappedMemory& operator=(const MappedMemory&) = delete;

  std::byte* data() const { return data_; }
  uint64_t size() const { return bytes_; }

 private:
  void release() noexcept;
  std::byte* data_ = nullptr;
  uint64_t bytes_ = 0;
  uint64_t mapped_bytes_ = 0;  // bytes_ rounded up to whole pages
};

}  // namespace weft::tensor
