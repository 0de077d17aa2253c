#include "runtime/paged_attention.hpp"

#include <algorithm>
#include <vector>

#include "runtime/fast_attention.hpp"

namespace weft::runtime {
namespace {

struct AttentionScratch {
  std::vector<float> scores;       // group × visible slots
  std::vector<float> slot_buffer;  // one head's key or value, widened to float
  std::vector<float> queries;      // the group's query heads, rounded as the kernels do
};

// One (row, kv head) pair: the query heads that share the kv head read each cached key and
// value once between them.
void attend_group(const tensor::Kernels& kernels, const AttentionShape& shape, int64_t layer,
                  const AttentionRow& row, int64_t kv_head, const float* q_row, float* out_row,
                  AttentionScratch& scratch) {
  auto& [scores, slot_buffer, queries] = scratch;
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
    kernels.softmax(head_scores, count);
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

void paged_attention(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                     const AttentionShape& shape, int64_t layer, std::span<const AttentionRow> rows,
                     const float* q, float* out) {
  if (fast_paged_attention(kernels, pool, shape, layer, rows, q, out)) return;
  const int64_t q_dim = shape.n_head * shape.head_dim;
  const auto tasks = static_cast<int64_t>(rows.size()) * shape.n_head_kv;
  pool.parallel_for(tasks, [&](int64_t begin, int64_t end, unsigned) {
    AttentionScratch scratch;
    for (int64_t task = begin; task < end; ++task) {
      const int64_t row = task / shape.n_head_kv;
      const int64_t kv_head = task % shape.n_head_kv;
      attend_group(kernels, shape, layer, rows[static_cast<size_t>(row)], kv_head, q + row * q_dim,
                   out + row * q_dim, scratch);
    }
  });
}

}  // namespace weft::runtime
