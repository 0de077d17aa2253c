#include "runtime/fast_attention.hpp"

#include <algorithm>
#include <atomic>
#include <vector>

#include "tensor/cpu_features.hpp"
#include "tensor/fast_kernels.hpp"
#include "tensor/x86/fast_attention_avx2.hpp"

namespace weft::runtime {
namespace {

// One kv head's keys (transposed: head_dim rows of `capacity` slots) and values (slot-major)
// of one sequence and layer, widened to float32, for slots [base, base + loaded).
class WidenedHead {
 public:
  static constexpr int64_t kLinePadding = 16;  // floats: one 64-byte line

  void forget() { sequence_ = nullptr; }

  // Makes slots [first, last] available; returns the column of slot `first`.
  int64_t cover(const kv::KvSequence& sequence, int64_t layer, int64_t kv_head, int64_t dim,
                int64_t first, int64_t last) {
    if (sequence_ != &sequence || layer_ != layer || kv_head_ != kv_head || first < base_) {
      sequence_ = &sequence;
      layer_ = layer;
      kv_head_ = kv_head;
      dim_ = dim;
      base_ = first;
      loaded_ = 0;
      reserve(last + 1 - first);
    }
    const int64_t needed = last + 1 - base_;
    if (needed > loaded_) {
      reserve(needed);
      load(needed);
    }
    return first - base_;
  }

  const float* keys_t() const { return keys_t_.data(); }
  int64_t key_stride() const { return capacity_; }
  const float* values() const { return values_.data(); }

 private:
  // Room for `columns` slots plus a vector of padding (the score kernel reads whole vectors).
  void reserve(int64_t columns) {
    const int64_t wanted = tensor::round_up_to_lanes(columns) + tensor::kAttentionLanes;
    // Padding columns may hold another head's (finite) values: their lanes are ignored.
    if (wanted <= capacity_ && keys_t_.size() >= static_cast<size_t>(dim_ * capacity_) &&
        values_.size() >= static_cast<size_t>(dim_ * capacity_))
      return;
    // Rows a power of two of floats apart would share L1 sets (the score kernel walks all
    // head_dim rows at once), so the stride is kept one cache line off a round number.
    const int64_t capacity = std::max(wanted, 2 * (capacity_ - kLinePadding)) + kLinePadding;
    std::vector<float> keys(static_cast<size_t>(dim_ * capacity), 0.0f);
    for (int64_t d = 0; d < dim_ && loaded_ > 0; ++d)
      std::copy_n(keys_t_.begin() + d * capacity_, loaded_, keys.begin() + d * capacity);
    keys_t_.swap(keys);
    values_.resize(std::max(values_.size(), static_cast<size_t>(dim_ * capacity)));
    capacity_ = capacity;
  }

  void load(int64_t needed) {
    const kv::PagePool& pool = sequence_->pool();
    slot_.resize(static_cast<size_t>(dim_));
    for (int64_t column = loaded_; column < needed; ++column) {
      const int64_t slot = base_ + column;
      const auto page = sequence_->page_of(slot);
      const int64_t in_page = sequence_->slot_in_page(slot);
      pool.load_key(page, layer_, in_page, kv_head_ * dim_, dim_, slot_.data());
      for (int64_t d = 0; d < dim_; ++d)
        keys_t_[static_cast<size_t>(d * capacity_ + column)] = slot_[static_cast<size_t>(d)];
      pool.load_value(page, layer_, in_page, kv_head_ * dim_, dim_, values_.data() + column * dim_);
    }
    loaded_ = needed;
  }

  const kv::KvSequence* sequence_ = nullptr;
  int64_t layer_ = -1;
  int64_t kv_head_ = -1;
  int64_t dim_ = 0;
  int64_t base_ = 0;
  int64_t loaded_ = 0;
  int64_t capacity_ = 0;
  std::vector<float> keys_t_;
  std::vector<float> values_;
  std::vector<float> slot_;
};

struct WorkerScratch {
  WidenedHead head;
  std::vector<float> scores;
};

// Reused between calls so prompt and decode steps allocate nothing once warm; each call
// starts by forgetting what it cached (the cache contents change between calls).
WorkerScratch& worker_scratch() {
  thread_local WorkerScratch scratch;
  return scratch;
}

int64_t first_visible(const AttentionShape& shape, int64_t position) {
  return shape.window > 0 ? std::max<int64_t>(0, position - shape.window + 1) : 0;
}

// The row's query heads that share `kv_head`, attended over its visible slots.
void attend(const tensor::Kernels& kernels, const AttentionShape& shape, int64_t layer,
            const AttentionRow& row, int64_t kv_head, const float* q_row, float* out_row,
            WorkerScratch& scratch) {
  const int64_t group = shape.n_head / shape.n_head_kv;
  const int64_t dim = shape.head_dim;
  const int64_t first = first_visible(shape, row.position);
  const int64_t count = row.position + 1 - first;
  const int64_t column =
      scratch.head.cover(*row.sequence, layer, kv_head, dim, first, row.position);
  const int64_t stride = tensor::round_up_to_lanes(count);
  if (scratch.scores.size() < static_cast<size_t>(group * stride))
    scratch.scores.resize(static_cast<size_t>(group * stride));
  float* scores = scratch.scores.data();
  tensor::avx2_attention_scores(q_row + kv_head * group * dim, group, dim, scratch.head.keys_t(),
                                scratch.head.key_stride(), column, count, shape.scale, scores,
                                stride);
  for (int64_t g = 0; g < group; ++g) {
    float* head_scores = scores + g * stride;
    if (shape.softcap > 0) kernels.soft_cap(head_scores, count, shape.softcap);
    if (!row.visible.empty() && !hide_masked_slots(row, first, count, head_scores)) {
      std::fill_n(head_scores, count, 0.0f);  // nothing visible: zero output
    } else if (shape.sinks != nullptr) {
      softmax_with_sink(head_scores, count, shape.sinks[kv_head * group + g]);
    } else {
      tensor::avx2_softmax(head_scores, count);
    }
    tensor::avx2_weighted_values(head_scores, count, scratch.head.values() + column * dim, dim,
                                 out_row + (kv_head * group + g) * dim);
  }
}

}  // namespace

bool fast_paged_attention(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                          const AttentionShape& shape, int64_t layer,
                          std::span<const AttentionRow> rows, const float* q, float* out) {
  if (dynamic_cast<const tensor::FastKernels*>(&kernels) == nullptr ||
      !tensor::cpu_has_avx2_fma_f16c() || shape.head_dim % tensor::kAttentionLanes != 0)
    return false;
  const int64_t q_dim = shape.n_head * shape.head_dim;
  const auto n_rows = static_cast<int64_t>(rows.size());
  // Work is handed out in chunks of consecutive rows of one kv head, kv head by kv head, from
  // a shared counter: a thread's next chunk usually extends the keys it has widened, and a
  // thread the machine deschedules for a while leaves the remaining chunks to the others.
  const int64_t chunk_rows = std::max<int64_t>(1, n_rows / (4 * static_cast<int64_t>(pool.size())));
  const int64_t chunks_per_head = (n_rows + chunk_rows - 1) / chunk_rows;
  const int64_t chunks = chunks_per_head * shape.n_head_kv;
  std::atomic<int64_t> next_chunk{0};
  pool.parallel_for(pool.size(), [&](int64_t, int64_t, unsigned) {
    WorkerScratch& scratch = worker_scratch();
    scratch.head.forget();
    for (int64_t chunk = next_chunk.fetch_add(1, std::memory_order_relaxed); chunk < chunks;
         chunk = next_chunk.fetch_add(1, std::memory_order_relaxed)) {
      const int64_t kv_head = chunk / chunks_per_head;
      const int64_t first_row = chunk % chunks_per_head * chunk_rows;
      const int64_t end_row = std::min(n_rows, first_row + chunk_rows);
      for (int64_t row = first_row; row < end_row; ++row) {
        attend(kernels, shape, layer, rows[static_cast<size_t>(row)], kv_head, q + row * q_dim,
               out + row * q_dim, scratch);
      }
    }
  });
  return true;
}

}  // namespace weft::runtime
