// The packed weights (weight_packing.hpp) kept in a file between loads. Packing a Q8_0 or Q4_0
// model costs seconds at every load, most of it the kernel supplying fresh pages for the copy
// (docs/performance.md, "Cold start"); a cache file that is in the page cache maps in
// milliseconds, and every process that loads the model shares its pages.
//
// A cache file belongs to one model file. It records the model's size, modification time,
// device and inode and a checksum (XXH3) of its header, metadata and tensor table, and for each
// packed matrix its stored rows' place in the model, type, shape, packed size and the XXH3 of
// its packed bytes. A file that differs in any of these, or is truncated, is not used (the
// load packs as without a cache and writes a new file in its place); the checksums of the
// packed bytes are checked at every read, so a damaged file never reaches the kernels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gguf/byte_storage.hpp"
#include "gguf/gguf_file.hpp"

namespace weft::model {

// One packed matrix as the cache knows it.
struct PackedMatrixEntry {
  uint64_t model_offset = 0;  // of its stored rows, from the start of the model file
  uint32_t type = 0;          // tensor::ElementType
  int64_t rows = 0;
  int64_t cols = 0;
  uint64_t packed_bytes = 0;
};

class PackedWeightCache {
 public:
  // The cache file of `model` (opened from a path: a model parsed from memory has none) in
  // `directory`, which is created when a file is first written.
  PackedWeightCache(std::filesystem::path directory, const gguf::GgufFile& model);

  const std::filesystem::path& path() const { return path_; }

  struct Mapped {
    std::shared_ptr<const gguf::ByteStorage> storage;  // owns what `packed` points into
    std::vector<const std::byte*> packed;              // one per entry, in order
  };
  // The cache file mapped, when it was made from this very model file with exactly these
  // entries and every checksum holds; otherwise nullopt and the reason in `why_not`, for the
  // person reading a --verbose load ("no such file yet", "written for another model file or for
  // this one before it changed (its size differs)", "truncated: …", "damaged: the checksum of
  // matrix 3 does not hold", …; no ", " in it, which would split a step in the step times).
  std::optional<Mapped> read(std::span<const PackedMatrixEntry> entries,
                             std::string& why_not) const;

  // Writes packed[i] (entries[i].packed_bytes each) to a temporary file beside path() and
  // renames it into place, so a reader never sees half a file. False, with the reason in
  // `why_not`, when it cannot (no space, a read-only directory): loading goes on without.
  bool write(std::span<const PackedMatrixEntry> entries, std::span<const std::byte* const> packed,
             std::string& why_not) const;

 private:
  struct ModelIdentity {
    uint64_t size = 0;
    uint64_t modified_ns = 0;
    uint64_t device = 0;
    uint64_t inode = 0;
    uint64_t header_checksum = 0;
    bool known = false;  // false: the model was not opened from a file
  };

  ModelIdentity identity_;
  std::filesystem::path path_;
};

// Where packed weights are cached by default: $WEFT_PACKED_CACHE when set ("off" or "0":
// nowhere, an empty path), else $XDG_CACHE_HOME/weft/packed, else $HOME/.cache/weft/packed
// (empty when neither is set).
std::filesystem::path default_packed_cache_directory();

}  // namespace weft::model
