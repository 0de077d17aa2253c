#include "gguf/byte_storage.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <new>

#include "weft/error.hpp"

namespace weft::gguf {
namespace {

class MappedFile final : public ByteStorage {
 public:
  MappedFile(void* address, size_t size) : address_(address), size_(size) {}
  ~MappedFile() override {
    if (address_ != nullptr) munmap(address_, size_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  std::span<const std::byte> bytes() const override {
    return {static_cast<const std::byte*>(address_), size_};
  }

  void release_resident(std::span<const std::byte> range) const override {
    const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
    const auto begin = (reinterpret_cast<uintptr_t>(range.data()) + page - 1) / page * page;
    const auto end = (reinterpret_cast<uintptr_t>(range.data()) + range.size()) / page * page;
    // A read-only private file mapping: dropped pages read back from the file unchanged.
    if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
  }

 private:
  void* address_;
  size_t size_;
};

class OwnedBytes final : public ByteStorage {
 public:
  static constexpr std::align_val_t kAlignment{4096};

  explicit OwnedBytes(std::span<const std::byte> source) : size_(source.size()) {
    if (size_ == 0) return;
    data_ = static_cast<std::byte*>(::operator new(size_, kAlignment));
    std::memcpy(data_, source.data(), size_);
  }
  ~OwnedBytes() override {
    if (data_ != nullptr) ::operator delete(data_, kAlignment);
  }
  OwnedBytes(const OwnedBytes&) = delete;
  OwnedBytes& operator=(const OwnedBytes&) = delete;

  std::span<const std::byte> bytes() const override { return {data_, size_}; }

 private:
  std::byte* data_ = nullptr;
  size_t size_;
};

[[noreturn]] void fail(const std::string& path, const std::string& what, int error_number) {
  throw Error(ErrorCode::invalid_request,
              "cannot " + what + " '" + path + "': " + std::strerror(error_number));
}

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

std::shared_ptr<const ByteStorage> map_file(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) fail(path, "open", errno);
  struct stat info {};
  if (fstat(fd.get(), &info) != 0) fail(path, "stat", errno);
  if (!S_ISREG(info.st_mode)) {
    throw Error(ErrorCode::invalid_request, "'" + path + "' is not a regular file");
  }
  auto size = static_cast<size_t>(info.st_size);
  // mmap refuses a zero length; an empty file is still a (truncated) GGUF file to report.
  if (size == 0) return std::make_shared<MappedFile>(nullptr, 0);
  void* address = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (address == MAP_FAILED) fail(path, "memory-map", errno);
  return std::make_shared<MappedFile>(address, size);
}

std::shared_ptr<const ByteStorage> copy_bytes(std::span<const std::byte> bytes) {
  return std::make_shared<OwnedBytes>(bytes);
}

}  // namespace weft::gguf
