#include "runtime/fast_attention.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <vector>

#include "tensor/cpu_features.hpp"
#include "tensor/fast_kernels.hpp"
#include "tensor/x86/cached_slots_x86.hpp"
#include "tensor/x86/online_attention_x86.hpp"

namespace weft::runtime {
namespace {

constexpr int64_t kLanes = 8;
// Slots widened at once, so that a head's widened keys and values (2 × 32 × head_dim floats)
// stay in L1; a run may span pages (16 tokens each by default), which halves the per-run
// costs (the softmax's reductions, the output's loads and stores) against one run a page.
constexpr int64_t kRunSlots = 32;
// Rows of one sequence that share each widened run (a prompt's consecutive positions): each
// block reads and widens the cache once, however many rows it serves; 64 rows is a whole chunk
// of a 512-token prompt on two threads.
constexpr int64_t kQueryBlock = 64;

struct WorkerScratch {
  // One widened run, kLanes rows longer: the score kernel reads whole blocks of eight rows
  // from a piece's start, and the rows past the run hold zeros or an earlier run's (finite)
  // values, whose scores are ignored.
  std::vector<float> keys, values;
  std::vector<float> scores;    // group × kRunSlots: one piece's scores, then weights
  std::vector<float> max, sum;  // kQueryBlock × group: each head's online softmax

  void prepare(int64_t group, int64_t dim) {
    const auto tile = static_cast<size_t>((kRunSlots + kLanes) * dim);
    if (keys.size() < tile) keys.resize(tile, 0.0f);
    if (values.size() < tile) values.resize(tile, 0.0f);
    scores.resize(static_cast<size_t>(group * kRunSlots));
    max.resize(static_cast<size_t>(kQueryBlock * group));
    sum.resize(max.size());
  }
};

// Reused between calls so prompt and decode steps allocate nothing once warm.
WorkerScratch& worker_scratch() {
  thread_local WorkerScratch scratch;
  return scratch;
}

int64_t first_visible(const AttentionShape& shape, int64_t position) {
  return shape.window > 0 ? std::max<int64_t>(0, position - shape.window + 1) : 0;
}

// Where the run starting at `slot` ends: at the next multiple of kRunSlots (never past
// `limit`). The boundaries are absolute, so a row is folded in the same pieces whatever the
// other rows of its block.
int64_t run_end(int64_t slot, int64_t limit) {
  return std::min((slot / kRunSlots + 1) * kRunSlots, limit);
}

// One block of rows of one sequence against one kv head: the query heads of the group that
// shares it, their outputs, and what the cache holds for it.
struct HeadGroupTask {
  const tensor::Kernels& kernels;
  const AttentionShape& shape;
  int64_t layer;
  int64_t kv_head;
  std::span<const AttentionRow> rows;     // same sequence, at most kQueryBlock
  const float* q;                         // the first row's queries of this group
  float* out;                             // the first row's outputs of this group
  int64_t row_stride;                     // floats from one row's q (or out) to the next
  tensor::CachedSlotsWidener widen;       // this CPU's level
  tensor::OnlineAttentionKernels attend;  // likewise
};

// Where the kv head's keys and values of a run's slots lie: one piece per page it touches.
struct RunLocation {
  struct Piece {
    const std::byte* keys;
    const std::byte* values;
    int64_t count;  // slots in this page
  };
  std::array<Piece, kRunSlots> pieces;  // a page holds one slot or more
  int64_t piece_count = 0;
  int64_t stride = 0;      // bytes from one slot's key (or value) to the next in a page
  int64_t head_bytes = 0;  // one kv head's key (or value) of one slot
};

RunLocation locate_run(const HeadGroupTask& task, int64_t begin, int64_t end) {
  const kv::KvSequence& sequence = *task.rows.front().sequence;
  const kv::PagePool& pool = sequence.pool();
  const int64_t dim = task.shape.head_dim;
  const auto offset = static_cast<int64_t>(*tensor::bytes_for(pool.type(), task.kv_head * dim));
  RunLocation run;
  run.stride = static_cast<int64_t>(pool.slot_bytes());
  run.head_bytes = static_cast<int64_t>(*tensor::bytes_for(pool.type(), dim));
  for (int64_t slot = begin, next = 0; slot < end; slot = next) {
    next = std::min(end, (slot / pool.page_tokens() + 1) * pool.page_tokens());
    const kv::PageId page = sequence.page_of(slot);
    const int64_t in_page = sequence.slot_in_page(slot);
    run.pieces[static_cast<size_t>(run.piece_count++)] = {
        pool.stored_key(page, task.layer, in_page) + offset,
        pool.stored_value(page, task.layer, in_page) + offset, next - slot};
  }
  return run;
}

// Asks for every cache line of [bytes, bytes + count) (which need not start on a line).
void prefetch_bytes(const std::byte* bytes, int64_t count) {
  constexpr uintptr_t kCacheLine = 64;
  const uintptr_t first = reinterpret_cast<uintptr_t>(bytes) / kCacheLine;
  const uintptr_t last =
      (reinterpret_cast<uintptr_t>(bytes) + static_cast<uintptr_t>(count) - 1) / kCacheLine;
  for (uintptr_t line = first; line <= last; ++line)
    __builtin_prefetch(reinterpret_cast<const void*>(line * kCacheLine));
}

// Visits slot after slot of a run: fn(keys, values) of each.
template <typename Fn>
void for_each_slot(const RunLocation& run, Fn&& fn) {
  for (int64_t p = 0; p < run.piece_count; ++p) {
    const RunLocation::Piece& piece = run.pieces[static_cast<size_t>(p)];
    for (int64_t i = 0; i < piece.count; ++i)
      fn(piece.keys + i * run.stride, piece.values + i * run.stride);
  }
}

// Widens the run's keys and values into the scratch, slot by slot, and asks for the same slot
// of the `upcoming` run (the next one, if any) as it goes. A kv head's slots lie slot_bytes()
// apart, a stride the hardware prefetchers give up on at every 4 KiB page, so decoding at depth
// waited on memory here. A whole run's prefetches at once filled the miss buffers and stalled;
// one slot's at a time, spread over the widening, ran the decode attention at depth 4,096 about
// 1.5× as fast (bench/attention_bench).
void widen_run(const HeadGroupTask& task, const RunLocation& run, const RunLocation* upcoming,
               WorkerScratch& scratch) {
  const tensor::ElementType type = task.rows.front().sequence->pool().type();
  const int64_t dim = task.shape.head_dim;
  int64_t slot = 0;
  int64_t ahead_piece = 0, ahead_slot = 0;  // the slot of `upcoming` to ask for next
  for_each_slot(run, [&](const std::byte* keys, const std::byte* values) {
    if (upcoming != nullptr && ahead_piece < upcoming->piece_count) {
      const RunLocation::Piece& piece = upcoming->pieces[static_cast<size_t>(ahead_piece)];
      prefetch_bytes(piece.keys + ahead_slot * upcoming->stride, upcoming->head_bytes);
      prefetch_bytes(piece.values + ahead_slot * upcoming->stride, upcoming->head_bytes);
      if (++ahead_slot == piece.count) ++ahead_piece, ahead_slot = 0;
    }
    task.widen(type, keys, run.stride, 1, dim, scratch.keys.data() + slot * dim);
    task.widen(type, values, run.stride, 1, dim, scratch.values.data() + slot * dim);
    ++slot;
  });
}

// Folds slots [begin, end) of the widened run that starts at `run_begin` into row r's heads;
// returns whether the row's mask lets it see any of them.
bool fold_piece(const HeadGroupTask& task, size_t r, int64_t begin, int64_t end, int64_t run_begin,
                WorkerScratch& scratch) {
  const AttentionShape& shape = task.shape;
  const AttentionRow& row = task.rows[r];
  const int64_t group = shape.n_head / shape.n_head_kv;
  const int64_t dim = shape.head_dim;
  const int64_t count = end - begin;
  const int64_t offset = (begin - run_begin) * dim;
  const auto row_offset = static_cast<int64_t>(r) * task.row_stride;
  float* scores = scratch.scores.data();
  task.attend.tile_scores(task.q + row_offset, group, dim, scratch.keys.data() + offset, count,
                          shape.scale, scores, kRunSlots);
  bool visible = true;
  for (int64_t g = 0; g < group; ++g) {
    float* head_scores = scores + g * kRunSlots;
    if (shape.softcap > 0) task.kernels.soft_cap(head_scores, count, shape.softcap);
    if (!row.visible.empty()) visible = hide_masked_slots(row, begin, count, head_scores);
  }
  if (!visible) return false;  // every score −∞: the fold would change nothing
  const auto state = static_cast<size_t>(static_cast<int64_t>(r) * group);
  task.attend.online_softmax_fold(scores, kRunSlots, group, count, scratch.values.data() + offset,
                                  dim, scratch.max.data() + state, scratch.sum.data() + state,
                                  task.out + row_offset);
  return true;
}

// Each head starts with nothing seen (or with its sink: a logit with weight e^0 and no value).
void start_heads(const HeadGroupTask& task, WorkerScratch& scratch) {
  const int64_t group = task.shape.n_head / task.shape.n_head_kv;
  for (size_t r = 0; r < task.rows.size(); ++r) {
    for (int64_t g = 0; g < group; ++g) {
      const auto i = r * static_cast<size_t>(group) + static_cast<size_t>(g);
      const float* sinks = task.shape.sinks;
      scratch.max[i] = sinks != nullptr ? sinks[task.kv_head * group + g] : -INFINITY;
      scratch.sum[i] = sinks != nullptr ? 1.0f : 0.0f;
    }
    std::fill_n(task.out + static_cast<int64_t>(r) * task.row_stride, group * task.shape.head_dim,
                0.0f);
  }
}

// out / sum for each head; zero for a row that could see nothing (a sliding window and a
// mask can leave it no slot).
void finish_heads(const HeadGroupTask& task, const bool* any_visible,
                  const WorkerScratch& scratch) {
  const int64_t group = task.shape.n_head / task.shape.n_head_kv;
  const int64_t dim = task.shape.head_dim;
  for (size_t r = 0; r < task.rows.size(); ++r) {
    for (int64_t g = 0; g < group; ++g) {
      float* out = task.out + static_cast<int64_t>(r) * task.row_stride + g * dim;
      const float inverse =
          any_visible[r]
              ? 1.0f / scratch.sum[r * static_cast<size_t>(group) + static_cast<size_t>(g)]
              : 0.0f;
      for (int64_t d = 0; d < dim; ++d) out[d] *= inverse;
    }
  }
}

// One pass over the runs of slots that any row of the block sees.
void attend_block(const HeadGroupTask& task, WorkerScratch& scratch) {
  int64_t begin = task.rows.front().position, end = 0;
  for (const AttentionRow& row : task.rows) {
    begin = std::min(begin, first_visible(task.shape, row.position));
    end = std::max(end, row.position + 1);
  }
  start_heads(task, scratch);
  bool any_visible[kQueryBlock] = {};
  RunLocation here = locate_run(task, begin, run_end(begin, end)), upcoming;
  for (int64_t run = begin, next = 0; run < end; run = next, here = upcoming) {
    next = run_end(run, end);
    if (next < end) upcoming = locate_run(task, next, run_end(next, end));
    bool widened = false;
    for (size_t r = 0; r < task.rows.size(); ++r) {
      const int64_t piece_begin = std::max(run, first_visible(task.shape, task.rows[r].position));
      const int64_t piece_end = std::min(next, task.rows[r].position + 1);
      if (piece_begin >= piece_end) continue;
      if (!widened) widen_run(task, here, next < end ? &upcoming : nullptr, scratch);
      widened = true;
      any_visible[r] = fold_piece(task, r, piece_begin, piece_end, run, scratch) || any_visible[r];
    }
  }
  finish_heads(task, any_visible, scratch);
}

// The end of the query block that starts at row `first`: the rows after it of the same
// sequence, at most kQueryBlock in all, none at or past `end`.
int64_t block_end(std::span<const AttentionRow> rows, int64_t first, int64_t end) {
  int64_t last = first + 1;
  while (last < end && last - first < kQueryBlock &&
         rows[static_cast<size_t>(last)].sequence == rows[static_cast<size_t>(first)].sequence)
    ++last;
  return last;
}

bool applies(const tensor::Kernels& kernels, const AttentionShape& shape,
             tensor::ElementType cache_type) {
  if (dynamic_cast<const tensor::FastKernels*>(&kernels) == nullptr ||
      !tensor::cpu_has_avx2_fma_f16c())
    return false;
  switch (cache_type) {
    case tensor::ElementType::F16:
    case tensor::ElementType::F32:
      return shape.head_dim % kLanes == 0;
    case tensor::ElementType::Q8_0:
      return shape.head_dim % 32 == 0;
    default:
      return false;
  }
}

}  // namespace

bool fast_paged_attention(const tensor::Kernels& kernels, tensor::ThreadPool& pool,
                          const AttentionShape& shape, int64_t layer,
                          std::span<const AttentionRow> rows, const float* q, float* out) {
  const auto cache_type =
      rows.empty() ? tensor::ElementType::F16 : rows.front().sequence->pool().type();
  if (!applies(kernels, shape, cache_type)) return false;
  if (rows.empty()) return true;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const int64_t q_dim = shape.n_head * shape.head_dim;
  const auto n_rows = static_cast<int64_t>(rows.size());
  // Work is handed out in chunks of consecutive rows of one kv head from a shared counter: a
  // thread the machine deschedules for a while leaves the remaining chunks to the others. The
  // last rows' chunks go first: in a prompt they see the most slots, and ending on the
  // lightest chunks keeps the threads from waiting on one another at the end.
  const int64_t chunk_rows = std::max<int64_t>(1, n_rows / (4 * static_cast<int64_t>(pool.size())));
  const int64_t chunks_per_head = (n_rows + chunk_rows - 1) / chunk_rows;
  const int64_t chunks = chunks_per_head * shape.n_head_kv;
  const tensor::CachedSlotsWidener widen = tensor::cached_slots_widener(tensor::cpu_features());
  const tensor::OnlineAttentionKernels attend =
      tensor::online_attention_kernels(tensor::cpu_features(), shape.head_dim);
  std::atomic<int64_t> next_chunk{0};
  pool.parallel_for(pool.size(), [&](int64_t, int64_t, unsigned) {
    WorkerScratch& scratch = worker_scratch();
    scratch.prepare(group, shape.head_dim);
    for (int64_t chunk = next_chunk.fetch_add(1, std::memory_order_relaxed); chunk < chunks;
         chunk = next_chunk.fetch_add(1, std::memory_order_relaxed)) {
      const int64_t kv_head = chunk % shape.n_head_kv;
      const int64_t first_row = (chunks_per_head - 1 - chunk / shape.n_head_kv) * chunk_rows;
      const int64_t end_row = std::min(n_rows, first_row + chunk_rows);
      // Blocks of consecutive rows of one sequence share each widened run.
      for (int64_t first = first_row, last = first; first < end_row; first = last) {
        last = block_end(rows, first, end_row);
        const int64_t head_offset = kv_head * group * shape.head_dim;
        const HeadGroupTask task{
            kernels,
            shape,
            layer,
            kv_head,
            rows.subspan(static_cast<size_t>(first), static_cast<size_t>(last - first)),
            q + first * q_dim + head_offset,
            out + first * q_dim + head_offset,
            q_dim,
            widen,
            attend};
        attend_block(task, scratch);
      }
    }
  });
  return true;
}

}  // namespace weft::runtime
