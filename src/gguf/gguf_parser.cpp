#include "gguf/gguf_parser.hpp"

#include <algorithm>
#include <limits>
#include <new>
#include <unordered_map>

#include "gguf/byte_cursor.hpp"
#include "gguf/ggml_type_names.hpp"
#include "gguf/gguf_layout.hpp"
#include "weft/error.hpp"

namespace weft::gguf {
namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32
// Smallest encodings, used to reject counts the remaining bytes cannot hold before
// allocating anything for them.
constexpr uint64_t kMinMetadataEntryBytes = 8 + 4 + 1;           // key length, type, 1-byte value
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;  // name, 1 dim, type, offset
constexpr uint64_t kMinArrayBytes = 4 + 8;                       // element type, count

// Counts are bounded by the bytes left, but a single entry decodes to far more memory than
// its smallest encoding; reserving only this much up front keeps memory proportional to what
// has actually been parsed. It covers the largest vocabularies (262k tokens) in one
// allocation: growing a 152k-token array from 64k elements copied it twice and touched
// 9 MB more of fresh pages, each page a fault (a trap on a virtual machine) at every load.
// Reserved and untouched, the rest of a claimed count costs address space only.
constexpr uint64_t kMaxReserve = 1 << 19;
size_t capped(uint64_t count) {
  return static_cast<size_t>(std::min(count, kMaxReserve));
}

uint32_t byte_swapped(uint32_t value) {
  return ((value & 0xffu) << 24) | ((value & 0xff00u) << 8) | ((value >> 8) & 0xff00u) |
         (value >> 24);
}

std::string hex(uint32_t value) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string text = "0x";
  for (int shift = 28; shift >= 0; shift -= 4) text += kDigits[(value >> shift) & 0xf];
  return text;
}

struct ParsedGguf {
  uint32_t version = 0;
  uint64_t alignment = kDefaultAlignment;
  uint64_t data_offset = 0;
  std::vector<MetadataEntry> metadata;
  std::vector<TensorView> tensors;
};

class Parser {
 public:
  Parser(std::span<const std::byte> bytes, const std::string& source) : cursor_(bytes, source) {}

  void parse_into(ParsedGguf& file, const std::byte* base) {
    base_ = base;
    read_header(file);
    read_metadata(file);
    apply_alignment(file);
    read_tensor_infos(file);
    place_tensors(file);
  }

 private:
  void read_header(ParsedGguf& file) {
    auto magic = cursor_.read<uint32_t>("the magic number");
    if (magic != kMagic) {
      cursor_.fail(
          "bad magic " + hex(byte_swapped(magic)) + ": not a GGUF file (expected \"GGUF\")", 0);
    }
    auto version = cursor_.read<uint32_t>("the version");
    if (version != 2 && version != 3) {
      uint32_t swapped = byte_swapped(version);
      if (swapped >= 1 && swapped <= 3) {
        cursor_.fail("big-endian GGUF file (version " + std::to_string(swapped) +
                         " stored byte-swapped); only little-endian files are supported",
                     4);
      }
      cursor_.fail("unsupported GGUF version " + std::to_string(version) + " (supported: 2 and 3)",
                   4);
    }
    file.version = version;
    tensor_count_ = cursor_.read<uint64_t>("the tensor count");
    metadata_count_ = cursor_.read<uint64_t>("the metadata count");
    check_count(tensor_count_, kMinTensorInfoBytes, "tensor count", 8);
    check_count(metadata_count_, kMinMetadataEntryBytes, "metadata entry count", 16);
  }

  void check_count(uint64_t count, uint64_t min_bytes_each, const std::string& what, uint64_t at) {
    if (count > cursor_.remaining() / min_bytes_each) {
      cursor_.fail(what + " " + std::to_string(count) + " cannot fit in the " +
                       std::to_string(cursor_.remaining()) + " bytes left in the file",
                   at);
    }
  }

  void read_metadata(ParsedGguf& file) {
    std::unordered_map<std::string, uint64_t> first_offset;
    file.metadata.reserve(capped(metadata_count_));
    for (uint64_t index = 0; index < metadata_count_; ++index) {
      uint64_t start = cursor_.offset();
      std::string key = cursor_.read_string("metadata key #" + std::to_string(index));
      if (key.empty()) cursor_.fail("metadata key #" + std::to_string(index) + " is empty", start);
      auto [existing, inserted] = first_offset.emplace(key, start);
      if (!inserted) {
        cursor_.fail("duplicate metadata key '" + key + "' (first at byte offset " +
                         std::to_string(existing->second) + ")",
                     start);
      }
      std::string where = "metadata key '" + key + "'";
      ValueType type = read_type(where + " type");
      file.metadata.push_back({std::move(key), read_value(type, where, 0)});
      metadata_offsets_.push_back(start);
    }
  }

  ValueType read_type(const std::string& what) {
    uint64_t at = cursor_.offset();
    auto id = cursor_.read<uint32_t>(what);
    auto type = value_type_from_id(id);
    if (!type) cursor_.fail(what + ": unknown value type " + std::to_string(id), at);
    return *type;
  }

  Value read_value(ValueType type, const std::string& where, int depth) {
    Value value;
    value.type = type;
    switch (type) {
      case ValueType::uint8:
        value.data = uint64_t{cursor_.read<uint8_t>(where)};
        break;
      case ValueType::uint16:
        value.data = uint64_t{cursor_.read<uint16_t>(where)};
        break;
      case ValueType::uint32:
        value.data = uint64_t{cursor_.read<uint32_t>(where)};
        break;
      case ValueType::uint64:
        value.data = cursor_.read<uint64_t>(where);
        break;
      case ValueType::int8:
        value.data = int64_t{cursor_.read<int8_t>(where)};
        break;
      case ValueType::int16:
        value.data = int64_t{cursor_.read<int16_t>(where)};
        break;
      case ValueType::int32:
        value.data = int64_t{cursor_.read<int32_t>(where)};
        break;
      case ValueType::int64:
        value.data = cursor_.read<int64_t>(where);
        break;
      case ValueType::float32:
        value.data = double{cursor_.read<float>(where)};
        break;
      case ValueType::float64:
        value.data = cursor_.read<double>(where);
        break;
      case ValueType::boolean:
        value.data = read_bool(where);
        break;
      case ValueType::string:
        value.data = cursor_.read_string(where);
        break;
      case ValueType::array:
        value.data = read_array(where, depth);
        break;
    }
    return value;
  }

  bool read_bool(const std::string& where) {
    uint64_t at = cursor_.offset();
    auto byte = cursor_.read<uint8_t>(where);
    if (byte > 1)
      cursor_.fail(where + ": boolean byte " + std::to_string(byte) + " is not 0 or 1", at);
    return byte == 1;
  }

  ArrayValue read_array(const std::string& where, int depth) {
    uint64_t start = cursor_.offset();
    if (depth >= GgufParser::kMaxArrayDepth) {
      cursor_.fail(where + ": arrays nested deeper than " +
                       std::to_string(GgufParser::kMaxArrayDepth) + " levels",
                   start);
    }
    ArrayValue array;
    array.element_type = read_type(where + " array element type");
    uint64_t count_at = cursor_.offset();
    auto count = cursor_.read<uint64_t>(where + " array length");
    uint64_t min_bytes = array.element_type == ValueType::string  ? 8
                         : array.element_type == ValueType::array ? kMinArrayBytes
                                                                  : scalar_size(array.element_type);
    if (count > cursor_.remaining() / min_bytes) {
      cursor_.fail(where + ": array of " + std::to_string(count) + " " +
                       std::string(to_string(array.element_type)) +
                       " elements runs past the end of the file (" +
                       std::to_string(cursor_.remaining()) + " bytes left)",
                   count_at);
    }
    array.elements.reserve(capped(count));
    // Vocabularies hold 100k+ elements: name each one only where it is itself an array; for
    // scalars and strings the byte offset in the error pinpoints the element.
    const std::string element_where = where + " element";
    for (uint64_t index = 0; index < count; ++index) {
      if (array.element_type == ValueType::array) {
        array.elements.push_back(
            read_value(array.element_type, where + "[" + std::to_string(index) + "]", depth + 1));
      } else {
        array.elements.push_back(read_value(array.element_type, element_where, depth + 1));
      }
    }
    return array;
  }

  void apply_alignment(ParsedGguf& file) {
    file.alignment = kDefaultAlignment;
    for (size_t i = 0; i < file.metadata.size(); ++i) {
      if (file.metadata[i].key != "general.alignment") continue;
      const auto* alignment = std::get_if<uint64_t>(&file.metadata[i].value.data);
      if (alignment == nullptr || *alignment == 0 || (*alignment & (*alignment - 1)) != 0) {
        cursor_.fail("metadata key 'general.alignment' must be an unsigned power of two",
                     metadata_offsets_[i]);
      }
      file.alignment = *alignment;
    }
  }

  void read_tensor_infos(ParsedGguf& file) {
    check_count(tensor_count_, kMinTensorInfoBytes, "tensor count", 8);
    std::unordered_map<std::string, uint64_t> first_offset;
    file.tensors.reserve(capped(tensor_count_));
    info_offsets_.reserve(capped(tensor_count_));
    for (uint64_t index = 0; index < tensor_count_; ++index) {
      uint64_t start = cursor_.offset();
      TensorView tensor = read_tensor_info(index, start);
      auto [existing, inserted] = first_offset.emplace(tensor.name, start);
      if (!inserted) {
        cursor_.fail("duplicate tensor name '" + tensor.name + "' (first at byte offset " +
                         std::to_string(existing->second) + ")",
                     start);
      }
      file.tensors.push_back(std::move(tensor));
      info_offsets_.push_back(start);
    }
  }

  TensorView read_tensor_info(uint64_t index, uint64_t start) {
    TensorView tensor;
    tensor.name = cursor_.read_string("tensor #" + std::to_string(index) + " name");
    if (tensor.name.empty())
      cursor_.fail("tensor #" + std::to_string(index) + " has an empty name", start);
    const std::string where = "tensor '" + tensor.name + "'";
    uint64_t dims_at = cursor_.offset();
    auto n_dims = cursor_.read<uint32_t>(where + " dimension count");
    if (n_dims == 0 || n_dims > kMaxTensorDims) {
      cursor_.fail(where + " has " + std::to_string(n_dims) + " dimensions (1 to " +
                       std::to_string(kMaxTensorDims) + " allowed)",
                   dims_at);
    }
    uint64_t elements = 1;
    for (uint32_t axis = 0; axis < n_dims; ++axis) {
      uint64_t at = cursor_.offset();
      auto dim = cursor_.read<uint64_t>(where + " dimension");
      std::string axis_name = where + " dimension " + std::to_string(axis);
      if (dim == 0) cursor_.fail(axis_name + " is zero", at);
      if (dim > uint64_t(std::numeric_limits<int64_t>::max()) ||
          __builtin_mul_overflow(elements, dim, &elements) ||
          elements > uint64_t(std::numeric_limits<int64_t>::max())) {
        cursor_.fail(axis_name + " (" + std::to_string(dim) + "): element count overflows", at);
      }
      tensor.shape.push_back(dim);
    }
    uint64_t type_at = cursor_.offset();
    auto raw_type = cursor_.read<uint32_t>(where + " type");
    auto traits = tensor::traits_of(raw_type);
    if (!traits) {
      auto name = ggml_type_name(raw_type);
      cursor_.fail(name ? where + " has unsupported element type " + std::string(*name) + " (id " +
                              std::to_string(raw_type) + ")"
                        : where + " has unknown element type " + std::to_string(raw_type),
                   type_at);
    }
    tensor.type = traits->type;
    if (tensor.shape[0] % traits->block_size != 0) {
      cursor_.fail(where + " row length " + std::to_string(tensor.shape[0]) +
                       " is not a multiple of the " + std::string(traits->name) + " block size " +
                       std::to_string(traits->block_size),
                   dims_at);
    }
    auto bytes = tensor::bytes_for(tensor.type, elements);
    if (!bytes) cursor_.fail(where + " byte size overflows", dims_at);
    tensor.size_bytes = *bytes;
    tensor.offset = cursor_.read<uint64_t>(where + " data offset");
    return tensor;
  }

  void place_tensors(ParsedGguf& file) {
    uint64_t end_of_infos = cursor_.offset();
    uint64_t padding = (file.alignment - end_of_infos % file.alignment) % file.alignment;
    if (padding > std::numeric_limits<uint64_t>::max() - end_of_infos) {
      cursor_.fail("data section offset overflows", end_of_infos);
    }
    file.data_offset = end_of_infos + padding;
    std::vector<TensorPlacement> placements;
    placements.reserve(file.tensors.size());
    for (size_t i = 0; i < file.tensors.size(); ++i) {
      placements.push_back({&file.tensors[i], info_offsets_[i]});
    }
    validate_tensor_layout(placements, file.data_offset, file.alignment, cursor_);
    for (auto& tensor : file.tensors) {
      tensor.data = base_ + file.data_offset + tensor.offset;
    }
  }

  ByteCursor cursor_;
  const std::byte* base_ = nullptr;
  uint64_t tensor_count_ = 0;
  uint64_t metadata_count_ = 0;
  std::vector<uint64_t> metadata_offsets_;
  std::vector<uint64_t> info_offsets_;
};

}  // namespace

std::shared_ptr<const GgufFile> GgufParser::parse(std::shared_ptr<const ByteStorage> storage,
                                                  const std::string& source) {
  std::shared_ptr<GgufFile> file(new GgufFile());
  auto bytes = storage->bytes();
  file->path_ = source;
  file->size_ = bytes.size();
  file->mapping_ = bytes.data();
  file->storage_ = std::move(storage);
  ParsedGguf parsed;
  try {
    Parser(bytes, source).parse_into(parsed, bytes.data());
  } catch (const std::bad_alloc&) {
    throw Error(ErrorCode::invalid_request,
                source + ": out of memory while reading the metadata and tensor infos");
  }
  file->version_ = parsed.version;
  file->alignment_ = parsed.alignment;
  file->data_offset_ = parsed.data_offset;
  file->metadata_ = std::move(parsed.metadata);
  file->tensors_ = std::move(parsed.tensors);
  for (size_t i = 0; i < file->metadata_.size(); ++i) {
    file->metadata_index_.emplace(file->metadata_[i].key, i);
  }
  for (size_t i = 0; i < file->tensors_.size(); ++i) {
    file->tensor_index_.emplace(file->tensors_[i].name, i);
  }
  return file;
}

}  // namespace weft::gguf
