#include "runtime/paged_attention.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <vector>

#include "runtime/fast_attention.hpp"
#include "tensor/reference/ggml_cpu_numerics.hpp"

namespace weft::runtime {
namespace {

struct AttentionScratch {
  std::vector<float> scores;       // group × visible slots
  std::vector<float> slot_buffer;  // one head's key or value, widened to float
  std::vector<float> queries;      // the group's query heads, rounded as the kernels do
  std::vector<float> values;       // GGML emulation: one head's values, cell-major per dim
};

// What GGML's attention sees of the pass: its KV view spans the cache cells up to the end of
// the batch, padded, and its products choose their routine by the batch's row count.
struct GgmlPass {
  int lanes = 0;
  int64_t batch_rows = 0;
  std::unordered_map<const kv::KvSequence*, int64_t> cells;  // per sequence
};

// attend_group as llama.cpp computes it without flash attention
// (ggml_cpu_numerics.hpp): scores q·k for every cell of the padded view (masked ones −inf),
// soft_max with its vectorised exp, probabilities rounded to the cache type, then each
// output value the dot product of the probabilities with that dimension's values.
void attend_group_ggml(const tensor::Kernels& kernels, const GgmlPass& pass,
                       const AttentionShape& shape, int64_t layer, const AttentionRow& row,
                       int64_t kv_head, const float* q_row, float* out_row,
                       AttentionScratch& scratch) {
  auto& [scores, slot_buffer, queries, values] = scratch;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const int64_t dim = shape.head_dim;
  const int64_t first =
      shape.window > 0 ? std::max<int64_t>(0, row.position - shape.window + 1) : 0;
  const int64_t cells = pass.cells.at(row.sequence);
  const kv::KvSequence& sequence = *row.sequence;
  const kv::PagePool& pool = sequence.pool();
  const bool half = pool.type() == tensor::ElementType::F16;
  const auto operands = half ? tensor::ggml_cpu::Operands::f16 : tensor::ggml_cpu::Operands::f32;
  queries.assign(q_row + kv_head * group * dim, q_row + (kv_head + 1) * group * dim);
  kernels.round_activations(pool.type(), queries.data(), group * dim);
  scores.assign(static_cast<size_t>(group * cells), -INFINITY);
  values.assign(static_cast<size_t>(dim * cells), 0.0f);
  slot_buffer.resize(static_cast<size_t>(dim));
  for (int64_t slot = first; slot <= row.position; ++slot) {
    const int64_t page = sequence.page_of(slot);
    const int64_t in_page = sequence.slot_in_page(slot);
    pool.load_key(page, layer, in_page, kv_head * dim, dim, slot_buffer.data());
    for (int64_t g = 0; g < group; ++g) {
      // Against an F16 cache the queries are converted and the product may take tinyBLAS;
      // against F32 the permuted queries rule tinyBLAS out.
      const float* query = queries.data() + g * dim;
      const float score =
          half ? tensor::ggml_cpu::matrix_dot(operands, query, slot_buffer.data(), dim, cells,
                                              pass.batch_rows, pass.lanes)
               : tensor::ggml_cpu::vec_dot(operands, query, slot_buffer.data(), dim, pass.lanes);
      scores[static_cast<size_t>(g * cells + slot)] = score * shape.scale;
    }
    pool.load_value(page, layer, in_page, kv_head * dim, dim, slot_buffer.data());
    for (int64_t d = 0; d < dim; ++d)
      values[static_cast<size_t>(d * cells + slot)] = slot_buffer[d];
  }
  for (int64_t g = 0; g < group; ++g) {
    float* head_scores = scores.data() + g * cells;
    if (shape.softcap > 0)
      kernels.soft_cap(head_scores + first, row.position + 1 - first, shape.softcap);
    if (!row.visible.empty() &&
        !hide_masked_slots(row, first, row.position + 1 - first, head_scores + first)) {
      std::fill_n(head_scores, cells, 0.0f);  // nothing visible: zero output
    } else {
      const float* sink = shape.sinks ? shape.sinks + kv_head * group + g : nullptr;
      tensor::ggml_cpu::softmax(head_scores, cells, pass.lanes, sink);
    }
    kernels.round_activations(pool.type(), head_scores, cells);
    float* out = out_row + (kv_head * group + g) * dim;
    for (int64_t d = 0; d < dim; ++d) {
      out[d] = tensor::ggml_cpu::matrix_dot(operands, head_scores, values.data() + d * cells, cells,
                                            dim, pass.batch_rows, pass.lanes);
    }
  }
}

// One (row, kv head) pair: the query heads that share the kv head read each cached key and
// value once between them.
void attend_group(const tensor::Kernels& kernels, const AttentionShape& shape, int64_t layer,
                  const AttentionRow& row, int64_t kv_head, const float* q_row, float* out_row,
                  AttentionScratch& scratch) {
  auto& [scores, slot_buffer, queries, values] = scratch;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const int64_t dim = shape.head_dim;
  const int64_t first =
      shape.window > 0 ? std::max<int64_t>(0, row.position - shape.window + 1) : 0;
  const int64_t count = row.position + 1 - first;
  scores.resize(static_cast<size_t>(group * count));
  slot_buffer.resize(static_cast<size_t>(dim));
  const kv::KvSequence& sequence = *row.sequence;
  const kv::PagePool& pool = sequence.pool();
  // The group's query heads, rounded as the kernels round activations against the cache type.
  queries.assign(q_row + kv_head * group * dim, q_row + (kv_head + 1) * group * dim);
  kernels.round_activations(pool.type(), queries.data(), group * dim);

  for (int64_t j = 0; j < count; ++j) {
    const int64_t slot = first + j;
    pool.load_key(sequence.page_of(slot), layer, sequence.slot_in_page(slot), kv_head * dim, dim,
                  slot_buffer.data());
    for (int64_t g = 0; g < group; ++g) {
      const float* q_head = queries.data() + g * dim;
      scores[static_cast<size_t>(g * count + j)] =
          kernels.dot(q_head, slot_buffer.data(), dim) * shape.scale;
    }
  }
  for (int64_t g = 0; g < group; ++g) {
    float* head_scores = scores.data() + g * count;
    if (shape.softcap > 0) kernels.soft_cap(head_scores, count, shape.softcap);
    if (!row.visible.empty() && !hide_masked_slots(row, first, count, head_scores)) {
      std::fill_n(head_scores, count, 0.0f);  // nothing visible: zero output
    } else if (shape.sinks != nullptr) {
      softmax_with_sink(head_scores, count, shape.sinks[kv_head * group + g]);
    } else {
      kernels.softmax(head_scores, count);
    }
    // A q8_0 cache's values are widened to float and weighed by float probabilities, as
    // GGML's flash attention does for quantised V; F16 and F32 round as its products do.
    if (pool.type() != tensor::ElementType::Q8_0)
      kernels.round_activations(pool.type(), head_scores, count);
    std::fill_n(out_row + (kv_head * group + g) * dim, dim, 0.0f);
  }
  for (int64_t j = 0; j < count; ++j) {
    const int64_t slot = first + j;
    pool.load_value(sequence.page_of(slot), layer, sequence.slot_in_page(slot), kv_head * dim, dim,
                    slot_buffer.data());
    for (int64_t g = 0; g < group; ++g) {
      kernels.axpy(scores[static_cast<size_t>(g * count + j)], slot_buffer.data(),
                   out_row + (kv_head * group + g) * dim, dim);
    }
  }
}

}  // namespace

void softmax_with_sink(float* scores, int64_t n, float sink) {
  const float max = std::max(*std::max_element(scores, scores + n), sink);
  double sum = std::exp(static_cast<double>(sink - max));
  for (int64_t i = 0; i < n; ++i) {
    scores[i] = std::exp(scores[i] - max);
    sum += scores[i];
  }
  const auto inverse = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) scores[i] *= inverse;
}

bool hide_masked_slots(const AttentionRow& row, int64_t first, int64_t count, float* scores) {
  bool any_visible = false;
  for (int64_t j = 0; j < count; ++j) {
    if (row.visible[static_cast<size_t>(first + j)] != 0) {
      any_visible = true;
    } else {
      scores[j] = -INFINITY;
    }
  }
  return any_visible;
}

void paged_attention(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                     const AttentionShape& shape, int64_t layer, std::span<const AttentionRow> rows,
                     const float* q, float* out) {
  if (fast_paged_attention(kernels, pool, shape, layer, rows, q, out)) return;
  if (rows.empty()) return;
  const kv::PagePool& pages = rows.front().sequence->pool();
  const int64_t q_dim = shape.n_head * shape.head_dim;
  const auto tasks = static_cast<int64_t>(rows.size()) * shape.n_head_kv;
  GgmlPass ggml;
  if (kernels.ggml_lanes() > 0) {
    ggml.lanes = kernels.ggml_lanes();
    ggml.batch_rows = static_cast<int64_t>(rows.size());
    for (const auto& row : rows) {
      auto& cells = ggml.cells[row.sequence];
      cells = std::max(cells, tensor::ggml_cpu::padded_cells(row.position + 1));
    }
  }
  pool.parallel_for(tasks, [&](int64_t begin, int64_t end, unsigned) {
    AttentionScratch scratch;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t row = task / shape.n_head_kv;
      const int64_t kv_head = task % shape.n_head_kv;
      // GGML runs a quantised cache only through flash attention, which the non-flash
      // emulation does not model: a q8_0 cache takes the plain path.
      if (ggml.lanes > 0 && pages.type() != tensor::ElementType::Q8_0) {
        attend_group_ggml(kernels, ggml, shape, layer, rows[static_cast<size_t>(row)], kv_head,
                          q + row * q_dim, out + row * q_dim, scratch);
      } else {
        attend_group(kernels, shape, layer, rows[static_cast<size_t>(row)], kv_head,
                     q + row * q_dim, out + row * q_dim, scratch);
      }
    }
  });
}

}  // namespace weft::runtime
