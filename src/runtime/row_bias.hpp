// A bias vector added to every row of a row-major batch (q/k/v, outputs, feed-forward), as
// the decoder and the encoder passes both do.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/kernels.hpp"

namespace weft::runtime {

// Adds `bias` to each of the first `n_rows` rows of `matrix` (rows as wide as `bias`); an
// empty bias (the file has none) adds nothing.
void add_bias_to_rows(const tensor::Kernels& kernels, std::vector<float>& matrix,
                      const std::vector<float>& bias, int64_t n_rows);

}  // namespace weft::runtime
