#include "model/packed_weight_cache.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <system_error>

namespace weft::model {
namespace {

// "WEFTPK" and the layout version: a new packed layout or file layout takes a new version.
constexpr std::array<char, 8> kMagic = {'W', 'E', 'F', 'T', 'P', 'K', '0', '1'};
// Each matrix starts on its own page, as the packed copies made at load do (the kernels
// assume 64-byte alignment; a page keeps the mapping's offsets page-aligned too).
constexpr uint64_t kAlignment = 4096;

struct FileHeader {
  std::array<char, 8> magic{};
  uint64_t model_size = 0;
  uint64_t model_modified_ns = 0;
  uint64_t model_device = 0;
  uint64_t model_inode = 0;
  uint64_t model_header_checksum = 0;
  uint64_t entry_count = 0;
  uint64_t file_size = 0;
};

struct FileEntry {
  uint64_t model_offset = 0;
  uint32_t type = 0;
  uint32_t reserved = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  uint64_t packed_bytes = 0;
  uint64_t offset = 0;  // in the cache file
  uint64_t checksum = 0;
};

// The header of a cache file of the model `identity` describes (PackedWeightCache::ModelIdentity),
// its entry count and size left to fill.
template <typename ModelIdentity>
FileHeader header_of(const ModelIdentity& identity) {
  FileHeader header;
  header.magic = kMagic;
  header.model_size = identity.size;
  header.model_modified_ns = identity.modified_ns;
  header.model_device = identity.device;
  header.model_inode = identity.inode;
  header.model_header_checksum = identity.header_checksum;
  return header;
}

// What of the model's identity `stored` records otherwise than `current` ("size and
// modification time"); empty when they describe the same file as it is now.
std::string identity_differences(const FileHeader& stored, const FileHeader& current) {
  std::string differences;
  const auto add = [&](bool differs, const char* what) {
    if (!differs) return;
    if (!differences.empty()) differences += " and ";
    differences += what;
  };
  add(stored.model_size != current.model_size, "size");
  add(stored.model_modified_ns != current.model_modified_ns, "modification time");
  add(stored.model_device != current.model_device || stored.model_inode != current.model_inode,
      "device or inode");
  add(stored.model_header_checksum != current.model_header_checksum, "header checksum");
  return differences;
}

uint64_t round_up(uint64_t value, uint64_t to) {
  return (value + to - 1) / to * to;
}

uint64_t checksum(const void* data, uint64_t bytes) {
  return XXH3_64bits(data, static_cast<size_t>(bytes));
}

bool same_matrix(const FileEntry& stored, const PackedMatrixEntry& wanted) {
  return stored.model_offset == wanted.model_offset && stored.type == wanted.type &&
         stored.rows == wanted.rows && stored.cols == wanted.cols &&
         stored.packed_bytes == wanted.packed_bytes;
}

// The cache file's name: the model's file name, links resolved (for people looking into the
// directory), and a hash of its absolute path (two models of one name in different folders do not
// collide).
std::string cache_file_name(const std::filesystem::path& model_path) {
  std::error_code error;
  auto absolute = std::filesystem::weakly_canonical(model_path, error);
  if (error) absolute = model_path;
  const std::string text = absolute.string();
  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx",
                static_cast<unsigned long long>(checksum(text.data(), text.size())));
  return absolute.stem().string() + "-" + hash + ".packed";
}

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// Writes all of `bytes` at `offset`; false (errno set) when it cannot.
bool write_at(int fd, const void* bytes, uint64_t size, uint64_t offset) {
  const auto* at = static_cast<const char*>(bytes);
  while (size > 0) {
    const ssize_t written = ::pwrite(fd, at, size, static_cast<off_t>(offset));
    if (written < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    at += written;
    size -= static_cast<uint64_t>(written);
    offset += static_cast<uint64_t>(written);
  }
  return true;
}

}  // namespace

PackedWeightCache::PackedWeightCache(std::filesystem::path directory, const gguf::GgufFile& model) {
  struct stat info {};
  if (::stat(model.path().c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return;
  identity_.size = static_cast<uint64_t>(info.st_size);
  identity_.modified_ns = static_cast<uint64_t>(info.st_mtim.tv_sec) * 1000000000ULL +
                          static_cast<uint64_t>(info.st_mtim.tv_nsec);
  identity_.device = static_cast<uint64_t>(info.st_dev);
  identity_.inode = static_cast<uint64_t>(info.st_ino);
  // The mapping of a file from_buffer parsed is not that file: only an opened file counts.
  if (identity_.size != model.file_size()) return;
  const auto header = model.header_bytes();
  identity_.header_checksum = checksum(header.data(), header.size());
  identity_.known = true;
  path_ = std::move(directory) / cache_file_name(model.path());
}

std::optional<PackedWeightCache::Mapped> PackedWeightCache::read(
    std::span<const PackedMatrixEntry> entries, std::string& why_not) const {
  if (!identity_.known) {
    why_not = "the model was not read from a file";
    return std::nullopt;
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(path_, error)) {
    why_not = "no such file yet";
    return std::nullopt;
  }
  std::shared_ptr<const gguf::ByteStorage> storage;
  try {
    storage = gguf::map_file(path_.string());
  } catch (const std::exception& unreadable) {
    why_not = unreadable.what();
    return std::nullopt;
  }
  const auto bytes = storage->bytes();
  FileHeader header;
  if (bytes.size() < sizeof header) {
    why_not = "truncated: " + std::to_string(bytes.size()) + " bytes, shorter than its header";
    return std::nullopt;
  }
  std::memcpy(&header, bytes.data(), sizeof header);
  if (header.magic != kMagic) {
    why_not = "not a packed-weight cache of this version";
    return std::nullopt;
  }
  if (const std::string changed = identity_differences(header, header_of(identity_));
      !changed.empty()) {
    const bool several = changed.find(" and ") != std::string::npos;
    why_not = "written for another model file or for this one before it changed (its " + changed +
              (several ? " differ)" : " differs)");
    return std::nullopt;
  }
  if (header.entry_count != entries.size()) {
    why_not = "written for " + std::to_string(header.entry_count) +
              " packed matrices but this load packs " + std::to_string(entries.size()) +
              " (a cache of another version of weft)";
    return std::nullopt;
  }
  if (header.file_size != bytes.size()) {
    why_not = (bytes.size() < header.file_size ? "truncated: " : "grown: ") +
              std::to_string(bytes.size()) + " bytes where " + std::to_string(header.file_size) +
              " were written";
    return std::nullopt;
  }
  if (bytes.size() < sizeof header + entries.size() * sizeof(FileEntry)) {
    why_not = "damaged: its size is smaller than its table of matrices";
    return std::nullopt;
  }
  Mapped mapped;
  mapped.packed.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    FileEntry stored;
    std::memcpy(&stored, bytes.data() + sizeof header + i * sizeof stored, sizeof stored);
    if (!same_matrix(stored, entries[i])) {
      why_not = "matrix " + std::to_string(i) +
                " is not the one this load packs (a cache of another version of weft)";
      return std::nullopt;
    }
    if (stored.offset % kAlignment != 0 || stored.offset > bytes.size() ||
        stored.packed_bytes > bytes.size() - stored.offset) {
      why_not = "damaged: matrix " + std::to_string(i) + " lies outside the file";
      return std::nullopt;
    }
    const std::byte* packed = bytes.data() + stored.offset;
    if (checksum(packed, stored.packed_bytes) != stored.checksum) {
      why_not = "damaged: the checksum of matrix " + std::to_string(i) + " does not hold";
      return std::nullopt;
    }
    mapped.packed.push_back(packed);
  }
  mapped.storage = std::move(storage);
  return mapped;
}

bool PackedWeightCache::write(std::span<const PackedMatrixEntry> entries,
                              std::span<const std::byte* const> packed,
                              std::string& why_not) const {
  if (!identity_.known) {
    why_not = "the model was not read from a file";
    return false;
  }
  std::error_code error;
  std::filesystem::create_directories(path_.parent_path(), error);
  if (error) {
    why_not = "cannot create " + path_.parent_path().string() + ": " + error.message();
    return false;
  }
  const auto temporary = path_.string() + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    why_not = "cannot create " + temporary + ": " + errno_text(errno);
    return false;
  }
  FileHeader header = header_of(identity_);
  header.entry_count = entries.size();
  std::vector<FileEntry> table(entries.size());
  uint64_t offset = round_up(sizeof header + table.size() * sizeof(FileEntry), kAlignment);
  bool ok = true;
  for (size_t i = 0; i < entries.size() && ok; ++i) {
    const auto& entry = entries[i];
    table[i] = {
        entry.model_offset, entry.type,         0,      entry.rows,
        entry.cols,         entry.packed_bytes, offset, checksum(packed[i], entry.packed_bytes)};
    ok = write_at(fd, packed[i], entry.packed_bytes, offset);
    offset = round_up(offset + entry.packed_bytes, kAlignment);
  }
  header.file_size = offset;
  ok = ok && ::ftruncate(fd, static_cast<off_t>(offset)) == 0 &&
       write_at(fd, table.data(), table.size() * sizeof(FileEntry), sizeof header) &&
       write_at(fd, &header, sizeof header, 0);
  const int write_error = errno;
  ok = (::close(fd) == 0) && ok;
  if (ok && std::rename(temporary.c_str(), path_.c_str()) == 0) return true;
  why_not = "cannot write " + path_.string() + ": " + errno_text(ok ? errno : write_error);
  ::unlink(temporary.c_str());
  return false;
}

std::filesystem::path default_packed_cache_directory() {
  if (const char* chosen = std::getenv("WEFT_PACKED_CACHE"); chosen != nullptr && *chosen) {
    const std::string value = chosen;
    if (value == "off" || value == "0") return {};
    return value;
  }
  if (const char* cache = std::getenv("XDG_CACHE_HOME"); cache != nullptr && *cache)
    return std::filesystem::path(cache) / "weft" / "packed";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home)
    return std::filesystem::path(home) / ".cache" / "weft" / "packed";
  return {};
}

}  // namespace weft::model
