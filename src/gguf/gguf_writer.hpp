// Writes GGUF v3 files: metadata of every type, then tensor infos and aligned tensor data.
//
// Tensor data is referenced, not copied: the spans given to add_tensor (or the GgufFile given
// to copy_of) must outlive the writer's write/to_bytes calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "gguf/gguf_value.hpp"
#include "tensor/formats/element_type.hpp"

namespace weft::gguf {

struct TensorInput {
  std::string name;
  tensor::ElementType type = tensor::ElementType::F32;
  std::vector<uint64_t> shape;  // GGUF order: shape[0] is the row length
  std::span<const std::byte> data;
};

class GgufWriter {
 public:
  // Every metadata entry (in file order) and every tensor of `file`, ready to edit.
  static GgufWriter copy_of(const GgufFile& file);

  // Adds the key, or replaces its value in place so the file order stays stable. Throws
  // weft::Error if the value's payload does not match its declared type.
  void set(const std::string& key, Value value);
  void set_string(const std::string& key, std::string value);
  void set_uint32(const std::string& key, uint32_t value);
  void set_int32(const std::string& key, int32_t value);
  void set_float32(const std::string& key, float value);
  void set_bool(const std::string& key, bool value);
  void set_string_array(const std::string& key, const std::vector<std::string>& values);
  void set_float32_array(const std::string& key, const std::vector<float>& values);
  void set_int32_array(const std::string& key, const std::vector<int32_t>& values);
  bool remove(std::string_view key);
  // Stored as the general.alignment key; must be a power of two.
  void set_alignment(uint32_t alignment);

  // Throws weft::Error on a duplicate or empty name, a bad shape, or a data size that does
  // not match the shape and type.
  void add_tensor(TensorInput tensor);

  const std::vector<MetadataEntry>& metadata() const { return metadata_; }
  const std::vector<TensorInput>& tensors() const { return tensors_; }

  void write(std::ostream& out) const;
  // Writes to a temporary file next to `path`, then renames it into place.
  void write(const std::string& path) const;
  std::vector<std::byte> to_bytes() const;

 private:
  uint64_t alignment() const;

  std::vector<MetadataEntry> metadata_;
  std::vector<TensorInput> tensors_;
};

}  // namespace weft::gguf
