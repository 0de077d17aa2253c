#include "model/weight_packing.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "tensor/threads/thread_pool.hpp"
#include "tensor/x86/packed_weights.hpp"

namespace weft::model {
namespace {

// The start of the memory page holding `at` (release_resident drops whole pages only).
const std::byte* page_start(const std::byte* at) {
  static const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return reinterpret_cast<const std::byte*>(reinterpret_cast<uintptr_t>(at) / page * page);
}

class Packer {
 public:
  Packer(const gguf::GgufFile& file, ModelWeights& weights, const LoadProgressCallback& progress)
      : file_(file), weights_(weights), progress_(progress) {}

  static bool wanted(const tensor::WeightMatrix& matrix) {
    return !matrix.empty() && tensor::packing_pays_off(matrix.type);
  }

  // The rows pack() will pack, for the progress total (shared rows once).
  void count(const tensor::WeightMatrix& matrix) {
    if (wanted(matrix) && counted_.insert(matrix.data).second)
      rows_to_pack_ += static_cast<uint64_t>(matrix.rows);
  }

  // Packs on `pool`'s threads.
  void pack(tensor::WeightMatrix& matrix, tensor::ThreadPool& pool) {
    if (!wanted(matrix)) return;
    // Matrices can share rows (a tied output is the token embedding's view): pack once.
    auto [done, inserted] = packed_by_data_.try_emplace(matrix.data, nullptr);
    if (inserted) {
      // The stored rows leave the resident set as they are packed (whole pages only; the
      // embedding lookup of a tied output reads a few rows as stored, and those come back).
      const std::byte* released_until = matrix.data;
      const auto release_packed_rows = [&](int64_t rows_done) {
        const std::byte* end = matrix.row(rows_done);
        file_.release_resident(released_until, static_cast<uint64_t>(end - released_until));
        released_until = page_start(end);
        report(rows_packed_ + static_cast<uint64_t>(rows_done));
      };
      weights_.packed.push_back(tensor::pack_rows(matrix, release_packed_rows, &pool));
      rows_packed_ += static_cast<uint64_t>(matrix.rows);
      done->second = weights_.packed.back().data();
      ++count_;
    }
    matrix.packed = done->second;
  }

  int packed_count() const { return count_; }
  uint64_t rows_to_pack() const { return rows_to_pack_; }

  void report(uint64_t rows_done) const {
    if (progress_ && rows_to_pack_ > 0)
      progress_({"packing weights", std::min(rows_done, rows_to_pack_), rows_to_pack_});
  }

 private:
  const gguf::GgufFile& file_;
  ModelWeights& weights_;
  const LoadProgressCallback& progress_;
  std::set<const std::byte*> counted_;
  uint64_t rows_to_pack_ = 0;
  uint64_t rows_packed_ = 0;
  std::map<const std::byte*, const std::byte*> packed_by_data_;
  int count_ = 0;
};

}  // namespace

int pack_weights_for_this_cpu(const gguf::GgufFile& file, ModelWeights& weights,
                              const LoadProgressCallback& progress, unsigned threads) {
  std::vector<tensor::WeightMatrix*> matrices;
  for (auto& layer : weights.layers) {
    // Stacked experts pack as one matrix: each expert's block of rows starts on a packed group
    // when its row count is a multiple of kPackedRows, and its view then finds its packed rows.
    for (auto* matrix :
         {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.gate, &layer.up, &layer.down,
          &layer.router, &layer.expert_gate, &layer.expert_up, &layer.expert_down}) {
      matrices.push_back(matrix);
    }
  }
  matrices.push_back(&weights.output);
  Packer packer(file, weights, progress);
  for (const auto* matrix : matrices) packer.count(*matrix);
  if (packer.rows_to_pack() == 0) return 0;
  // The pool lives for the load only: the engine starts its own threads afterwards.
  tensor::ThreadPool pool(threads);
  packer.report(0);
  for (auto* matrix : matrices) packer.pack(*matrix, pool);
  return packer.packed_count();
}

}  // namespace weft::model
