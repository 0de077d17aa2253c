// Checks that tensor data lies inside the file, aligned, without overlaps.
#pragma once

#include <cstdint>
#include <vector>

#include "gguf/byte_cursor.hpp"
#include "gguf/gguf_file.hpp"

namespace weft::gguf {

struct TensorPlacement {
  const TensorView* tensor;
  uint64_t info_offset;  // where the tensor's info starts in the file, for error messages
};

// Throws through `cursor.fail` naming the tensor and the byte offset of its data.
void validate_tensor_layout(const std::vector<TensorPlacement>& placements, uint64_t data_offset,
                            uint64_t alignment, const ByteCursor& cursor);

}  // namespace weft::gguf
