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

// Which pages back a mapping. Huge pages (2 MiB, where the kernel's transparent huge pages
// allow `madvise`) suit buffers read in long passes, the packed weights and the KV cache: a
// decode step then walks a few TLB entries instead of one per 4 KiB, and filling the buffer
// takes one page fault per 2 MiB instead of 512.
enum class PageBacking { system, huge };

class MappedMemory {
 public:
  MappedMemory() = default;
  // `bytes` of zeroed memory, aligned to the system page (at least 4096 bytes; 2 MiB with
  // huge pages). Reserves address space only: untouched pages cost no memory. Throws
  // std::bad_alloc when the mapping fails; huge pages are a request the kernel may decline.
  explicit MappedMemory(uint64_t bytes, PageBacking backing = PageBacking::system);
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
  void* mapping_ = nullptr;    // where the mapping starts: data_ rounded down for huge pages
  uint64_t mapped_bytes_ = 0;  // bytes_ rounded up to whole pages, plus the alignment slack
};

}  // namespace weft::tensor
