#include "model/arch/tensor_binder.hpp"

#include "gguf/gguf_file.hpp"
#include "tensor/quant_formats.hpp"
#include "weft/error.hpp"

namespace weft::model {

std::string shape_text(const std::vector<uint64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

std::string layer_tensor(int64_t layer, const char* role) {
  return "blk." + std::to_string(layer) + "." + role + ".weight";
}

std::string layer_bias(int64_t layer, const char* role) {
  return "blk." + std::to_string(layer) + "." + role + ".bias";
}

const gguf::TensorView* TensorBinder::find(const std::string& name) const {
  return file_.find_tensor(name);
}

const gguf::TensorView& TensorBinder::require(const std::string& name) const {
  const auto* view = find(name);
  if (!view) throw Error(where() + "tensor '" + name + "' is missing");
  return *view;
}

tensor::WeightMatrix TensorBinder::matrix(const std::string& name, int64_t cols,
                                          int64_t rows) const {
  return to_matrix(require(name), cols, rows);
}

tensor::WeightMatrix TensorBinder::to_matrix(const gguf::TensorView& view, int64_t cols,
                                             int64_t rows) const {
  expect_shape(view, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows)});
  return rows_of(view, cols, rows);
}

tensor::WeightMatrix TensorBinder::stacked_matrices(const std::string& name, int64_t cols,
                                                    int64_t rows, int64_t count) const {
  const auto& view = require(name);
  expect_shape(view, {static_cast<uint64_t>(cols), static_cast<uint64_t>(rows),
                      static_cast<uint64_t>(count)});
  return rows_of(view, cols, rows * count);
}

tensor::WeightMatrix TensorBinder::rows_of(const gguf::TensorView& view, int64_t cols,
                                           int64_t rows) const {
  const auto traits = tensor::traits_of(view.type);
  if (cols % traits.block_size != 0) {
    throw Error(where() + "tensor '" + view.name + "' rows of " + std::to_string(cols) +
                " values are not whole blocks of " + std::string(traits.name));
  }
  const uint64_t row_bytes = static_cast<uint64_t>(cols) / traits.block_size * traits.block_bytes;
  return {view.type, rows, cols, row_bytes, view.data};
}

std::vector<float> TensorBinder::vector(const std::string& name, int64_t length) const {
  return to_vector(require(name), length);
}

std::vector<float> TensorBinder::optional_vector(const std::string& name, int64_t length) const {
  const auto* view = find(name);
  return view ? to_vector(*view, length) : std::vector<float>{};
}

std::string TensorBinder::where() const {
  return "model '" + file_.path() + "': ";
}

std::vector<float> TensorBinder::stacked_vectors(const std::string& name, int64_t length,
                                                 int64_t count) const {
  const auto& view = require(name);
  expect_shape(view, {static_cast<uint64_t>(length), static_cast<uint64_t>(count)});
  const auto total = static_cast<uint64_t>(length * count);
  if (!tensor::bytes_for(view.type, total) ||
      !tensor::bytes_for(view.type, static_cast<uint64_t>(length))) {
    throw Error(where() + "tensor '" + view.name + "' has rows of " + std::to_string(length) +
                " values, not whole blocks of " + std::string(tensor::traits_of(view.type).name));
  }
  std::vector<float> values(static_cast<size_t>(total));
  tensor::dequantize_row(view.type, view.data, values.data(), length * count);
  return values;
}

std::vector<float> TensorBinder::to_vector(const gguf::TensorView& view, int64_t length) const {
  expect_shape(view, {static_cast<uint64_t>(length)});
  if (!tensor::bytes_for(view.type, static_cast<uint64_t>(length))) {
    throw Error(where() + "tensor '" + view.name + "' of " + std::to_string(length) +
                " values is not whole blocks of " + std::string(tensor::traits_of(view.type).name));
  }
  std::vector<float> values(static_cast<size_t>(length));
  tensor::dequantize_row(view.type, view.data, values.data(), length);
  return values;
}

void TensorBinder::expect_shape(const gguf::TensorView& view,
                                const std::vector<uint64_t>& expected) const {
  if (view.shape != expected) {
    throw Error(where() + "tensor '" + view.name + "' has shape " + shape_text(view.shape) +
                ", expected " + shape_text(expected));
  }
}

}  // namespace weft::model
