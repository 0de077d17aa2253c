// A memory-mapped, validated GGUF file (v2 and v3). Tensors are views into the mapping.
//
// CONTRACT for the rest of the engine (implementation: issue 3, src/gguf/):
//  - GgufFile::open(path) throws weft::Error with a message naming the key or tensor and the
//    byte offset on any malformed input.
//  - Metadata accessors return nullopt when the key is absent; they throw weft::Error when the
//    key exists with an incompatible type (integers convert between widths when in range).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gguf/gguf_value.hpp"
#include "tensor/formats/element_type.hpp"

namespace weft::gguf {

// The format's limits that the reader checks and the writer keeps: tensor data is aligned to
// general.alignment, 32 bytes when the file does not say; a tensor has 1 to 4 dimensions.
inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr size_t kMaxTensorDims = 4;

class ByteStorage;

struct TensorView {
  std::string name;
  tensor::ElementType type;
  std::vector<uint64_t> shape;  // GGUF order: shape[0] is the row length (contiguous)
  uint64_t offset = 0;          // relative to the start of the tensor data section
  uint64_t size_bytes = 0;
  const std::byte* data = nullptr;  // into the mapping; valid while the GgufFile lives

  uint64_t element_count() const;
  uint64_t rows() const;  // product of shape[1..]
};

class GgufFile {
 public:
  static std::shared_ptr<const GgufFile> open(const std::string& path);
  // Parses (a copy of) bytes already in memory; `name` stands for the path in errors.
  static std::shared_ptr<const GgufFile> from_buffer(std::span<const std::byte> bytes,
                                                     const std::string& name = "<buffer>");
  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t file_size() const { return size_; }
  uint64_t data_offset() const { return data_offset_; }
  // The bytes before the tensor data (header, metadata, tensor table); where they start is
  // where the file starts, from which offsets into it count.
  std::span<const std::byte> header_bytes() const { return {mapping_, data_offset_}; }

  const std::vector<MetadataEntry>& metadata() const { return metadata_; }  // file order
  const Value* find(std::string_view key) const;
  bool has(std::string_view key) const { return find(key) != nullptr; }
  std::optional<uint64_t> get_uint(std::string_view key) const;
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<std::vector<std::string>> get_string_array(std::string_view key) const;
  std::optional<std::vector<float>> get_float_array(std::string_view key) const;
  std::optional<std::vector<int64_t>> get_int_array(std::string_view key) const;

  const std::vector<TensorView>& tensors() const { return tensors_; }
  // The file's pages inside [data, data + bytes) may leave the resident set (see
  // ByteStorage::release_resident): for tensors the kernels use a repacked copy of.
  void release_resident(const std::byte* data, uint64_t bytes) const;
  const TensorView* find_tensor(std::string_view name) const;

 private:
  GgufFile() = default;
  friend class GgufParser;

  std::string path_;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  uint64_t size_ = 0;
  uint64_t data_offset_ = 0;
  const std::byte* mapping_ = nullptr;
  std::shared_ptr<const ByteStorage> storage_;  // owns what mapping_ points into
  std::vector<MetadataEntry> metadata_;
  std::vector<TensorView> tensors_;
  // Views into the names above; built once, after which neither vector changes.
  std::unordered_map<std::string_view, size_t> metadata_index_;
  std::unordered_map<std::string_view, size_t> tensor_index_;
};

}  // namespace weft::gguf
