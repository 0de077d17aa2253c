#include "gguf/gguf_layout.hpp"

#include <algorithm>
#include <string>

namespace weft::gguf {

void validate_tensor_layout(const std::vector<TensorPlacement>& placements, uint64_t data_offset,
                            uint64_t alignment, const ByteCursor& cursor) {
  const uint64_t file_size = cursor.size();
  for (const auto& [tensor, info_offset] : placements) {
    const std::string name = "tensor '" + tensor->name + "'";
    if (tensor->offset % alignment != 0) {
      cursor.fail(name + " data offset " + std::to_string(tensor->offset) +
                      " is not a multiple of the alignment " + std::to_string(alignment),
                  info_offset);
    }
    bool fits = data_offset <= file_size && tensor->offset <= file_size - data_offset &&
                tensor->size_bytes <= file_size - data_offset - tensor->offset;
    if (!fits) {
      cursor.fail(name + " data (" + std::to_string(tensor->size_bytes) + " bytes at data offset " +
                      std::to_string(tensor->offset) + ") runs past the end of the file (" +
                      std::to_string(file_size) + " bytes, data section at " +
                      std::to_string(data_offset) + ")",
                  info_offset);
    }
  }

  std::vector<const TensorPlacement*> by_offset;
  by_offset.reserve(placements.size());
  for (const auto& placement : placements) by_offset.push_back(&placement);
  std::sort(by_offset.begin(), by_offset.end(),
            [](const auto* a, const auto* b) { return a->tensor->offset < b->tensor->offset; });
  for (size_t i = 1; i < by_offset.size(); ++i) {
    const TensorView& previous = *by_offset[i - 1]->tensor;
    const TensorView& current = *by_offset[i]->tensor;
    // Both ranges are inside the file (checked above), so the sum cannot overflow.
    if (previous.offset + previous.size_bytes > current.offset) {
      cursor.fail("tensor '" + current.name + "' data (at data offset " +
                      std::to_string(current.offset) + ") overlaps tensor '" + previous.name +
                      "' (" + std::to_string(previous.size_bytes) + " bytes at data offset " +
                      std::to_string(previous.offset) + ")",
                  by_offset[i]->info_offset);
    }
  }
}

}  // namespace weft::gguf
