#include "runtime/row_bias.hpp"

namespace weft::runtime {

void add_bias_to_rows(const tensor::Kernels& kernels, std::vector<float>& matrix,
                      const std::vector<float>& bias, int64_t n_rows) {
  if (bias.empty()) return;
  const auto width = static_cast<int64_t>(bias.size());
  for (int64_t row = 0; row < n_rows; ++row) {
    kernels.add(matrix.data() + row * width, bias.data(), width);
  }
}

}  // namespace weft::runtime
