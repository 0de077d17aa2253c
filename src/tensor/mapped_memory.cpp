#include "tensor/mapped_memory.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <new>
#include <utility>

namespace weft::tensor {
namespace {

constexpr uint64_t kHugePageBytes = uint64_t{2} << 20;

uint64_t round_up(uint64_t bytes, uint64_t unit) {
  return (bytes == 0 ? 1 : (bytes + unit - 1) / unit) * unit;
}

}  // namespace

MappedMemory::MappedMemory(uint64_t bytes, PageBacking backing) : bytes_(bytes) {
  const bool huge = backing == PageBacking::huge && bytes >= kHugePageBytes;
  // A huge page must start on a 2 MiB boundary, which mmap does not promise: map one more
  // and start there (the slack is address space only).
  mapped_bytes_ =
      round_up(bytes, static_cast<uint64_t>(::sysconf(_SC_PAGESIZE))) + (huge ? kHugePageBytes : 0);
  // MAP_NORESERVE: a KV pool reserves room for every page it may ever hold, most of which a
  // light load never touches.
  mapping_ = ::mmap(nullptr, mapped_bytes_, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    throw std::bad_alloc();
  }
  auto start = reinterpret_cast<uintptr_t>(mapping_);
  if (huge) {
    start = round_up(start, kHugePageBytes);
    // Whole huge pages only: a partly used one at the end would be resident whole. Declined
    // (THP off, an old kernel), the memory is still there in system pages.
    ::madvise(reinterpret_cast<void*>(start), bytes / kHugePageBytes * kHugePageBytes,
              MADV_HUGEPAGE);
  }
  data_ = reinterpret_cast<std::byte*>(start);
}

MappedMemory::~MappedMemory() {
  release();
}

MappedMemory::MappedMemory(MappedMemory&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      bytes_(std::exchange(other.bytes_, 0)),
      mapping_(std::exchange(other.mapping_, nullptr)),
      mapped_bytes_(std::exchange(other.mapped_bytes_, 0)) {}

MappedMemory& MappedMemory::operator=(MappedMemory&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    mapping_ = std::exchange(other.mapping_, nullptr);
    mapped_bytes_ = std::exchange(other.mapped_bytes_, 0);
  }
  return *this;
}

void MappedMemory::release() noexcept {
  if (mapping_ != nullptr) ::munmap(mapping_, mapped_bytes_);
  data_ = nullptr;
  mapping_ = nullptr;
  bytes_ = 0;
  mapped_bytes_ = 0;
}

}  // namespace weft::tensor
