// Binds GGUF tensors by name with their shapes checked: matrices as views into the mapped
// file, 1-D tensors (norms, biases) copied out as float32. Used by model_weights.cpp for the
// tensors every architecture has and by arch/<name>.cpp for the layers.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/weight_matrix.hpp"

namespace weft::gguf {
class GgufFile;
struct TensorView;
}  // namespace weft::gguf

namespace weft::model {

class TensorBinder {
 public:
  explicit TensorBinder(const gguf::GgufFile& file) : file_(file) {}

  // nullptr when the file has no tensor of that name.
  const gguf::TensorView* find(const std::string& name) const;
  // Throws weft::Error naming the tensor when it is missing.
  const gguf::TensorView& require(const std::string& name) const;

  // A [cols, rows] matrix (GGUF order: row length first) whose rows are whole blocks.
  tensor::WeightMatrix matrix(const std::string& name, int64_t cols, int64_t rows) const;
  tensor::WeightMatrix to_matrix(const gguf::TensorView& view, int64_t cols, int64_t rows) const;
  // A 3-D [cols, rows, count] tensor (`count` matrices of `rows` rows, e.g. the experts of a
  // layer) as one matrix of rows·count rows: matrix i is rows [i·rows, (i + 1)·rows).
  tensor::WeightMatrix stacked_matrices(const std::string& name, int64_t cols, int64_t rows,
                                        int64_t count) const;
  // A 1-D tensor of `length` values as float32.
  std::vector<float> vector(const std::string& name, int64_t length) const;
  // Empty when the file has no tensor of that name.
  std::vector<float> optional_vector(const std::string& name, int64_t length) const;
  // A 2-D [length, count] tensor (`count` vectors, e.g. one bias per expert) as float32,
  // vector i at [i·length, (i + 1)·length).
  std::vector<float> stacked_vectors(const std::string& name, int64_t length, int64_t count) const;

  // "model 'PATH': ", the start of every message.
  std::string where() const;

 private:
  std::vector<float> to_vector(const gguf::TensorView& view, int64_t length) const;
  void expect_shape(const gguf::TensorView& view, const std::vector<uint64_t>& expected) const;
  // The view's rows as a matrix; its shape is already checked.
  tensor::WeightMatrix rows_of(const gguf::TensorView& view, int64_t cols, int64_t rows) const;

  const gguf::GgufFile& file_;
};

// "[a, b]", for messages.
std::string shape_text(const std::vector<uint64_t>& shape);

// "blk.N.<role>.weight" and "blk.N.<role>.bias".
std::string layer_tensor(int64_t layer, const char* role);
std::string layer_bias(int64_t layer, const char* role);

}  // namespace weft::model
