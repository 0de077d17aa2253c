// act(gate) · up for a batch of rows, shared by the dense feed-forward block and the experts.
#pragma once

#include <cstdint>

#include "model/arch/architecture.hpp"
#include "tensor/kernels.hpp"
#include "tensor/threads/thread_pool.hpp"

namespace weft::runtime {

// out[r] = act(gate[r]) · up[r] for `n_rows` rows of `width` values each. Row by row: GGML's
// vectorised activations restart at each row, and kernels imitating it need the same chunks.
// A prompt's rows are split between the threads; a decode step's single row is not worth a
// thread hand-off.
void activate_gated_rows(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                         model::GatedActivation activation, const float* gate, const float* up,
                         int64_t n_rows, int64_t width, float* out);

}  // namespace weft::runtime
