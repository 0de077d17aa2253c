// Quantises a GGUF model file to a llama.cpp file type, as llama-quantize does without an
// importance matrix: the same tensor types (tensor_type_rule.hpp), GGML's reference
// quantisers (tensor/quant_formats.hpp, byte-identical to llama-quantize's), the metadata
// copied with general.quantization_version and general.file_type set, the tensors in
// llama-quantize's order.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gguf/gguf_file.hpp"
#include "model/quantize/tensor_type_rule.hpp"

namespace weft::model::quantize {

struct TensorProgress {
  size_t index = 0;  // 1-based
  size_t count = 0;
  const PlannedType* tensor = nullptr;
  std::vector<uint64_t> shape;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
  double seconds = 0;
};

struct QuantizeOptions {
  FileType file_type;
  bool pure = false;              // every matrix in the base type (llama-quantize --pure)
  bool allow_requantize = false;  // accept quantised input tensors that must change type
  unsigned threads = 0;           // 0: hardware concurrency
  std::function<void(const TensorProgress&)> on_tensor;
};

struct QuantizeSummary {
  size_t tensors = 0;
  uint64_t bytes_before = 0;
  uint64_t bytes_after = 0;
};

// The facts of the model's mixture rule read from its metadata (block_count, head counts).
ModelFacts model_facts(const gguf::GgufFile& file);

// Every tensor's type in `file` for the options, in llama-quantize's order.
std::vector<PlannedType> plan_file_types(const gguf::GgufFile& file, const FileType& file_type,
                                         bool pure);

// Writes `output` (via a temporary file, renamed into place). Throws weft::Error for a
// quantised input tensor that would change type without allow_requantize, and for an input
// whose element type cannot be converted.
QuantizeSummary quantize_model(const gguf::GgufFile& input, const std::string& output,
                               const QuantizeOptions& options);

}  // namespace weft::model::quantize
