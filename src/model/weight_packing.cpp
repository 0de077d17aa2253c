#include "model/weight_packing.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "model/packed_weight_cache.hpp"
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
    return !matrix.empty() && tensor::packed_products_available(matrix.type);
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

// The matrices a model may pack, in a fixed order (the cache's entries follow it).
std::vector<tensor::WeightMatrix*> packable_matrices(ModelWeights& weights) {
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
  return matrices;
}

// Each distinct packed matrix once (shared rows, such as a tied output, are packed once).
std::vector<const tensor::WeightMatrix*> distinct_packed(
    std::span<tensor::WeightMatrix* const> matrices) {
  std::vector<const tensor::WeightMatrix*> distinct;
  std::set<const std::byte*> seen;
  for (const auto* matrix : matrices) {
    if (Packer::wanted(*matrix) && seen.insert(matrix->data).second) distinct.push_back(matrix);
  }
  return distinct;
}

std::vector<PackedMatrixEntry> cache_entries(const gguf::GgufFile& file,
                                             std::span<const tensor::WeightMatrix* const> packed) {
  const std::byte* file_start = file.header_bytes().data();
  std::vector<PackedMatrixEntry> entries;
  for (const auto* matrix : packed) {
    entries.push_back({static_cast<uint64_t>(matrix->data - file_start),
                       static_cast<uint32_t>(matrix->type), matrix->rows, matrix->cols,
                       tensor::packed_matrix_bytes(*matrix)});
  }
  return entries;
}

uint64_t total_bytes(std::span<const PackedMatrixEntry> entries) {
  uint64_t total = 0;
  for (const auto& entry : entries) total += entry.packed_bytes;
  return total;
}

// Points every packed matrix at its rows in the cache file; false when there is no usable file.
bool adopt_cached(const PackedWeightCache& cache, std::span<const PackedMatrixEntry> entries,
                  std::span<const tensor::WeightMatrix* const> distinct,
                  std::span<tensor::WeightMatrix* const> matrices, ModelWeights& weights) {
  std::string why_not;
  auto mapped = cache.read(entries, why_not);
  if (!mapped) return false;
  std::map<const std::byte*, const std::byte*> packed_by_data;
  for (size_t i = 0; i < distinct.size(); ++i)
    packed_by_data[distinct[i]->data] = mapped->packed[i];
  for (auto* matrix : matrices) {
    if (Packer::wanted(*matrix)) matrix->packed = packed_by_data.at(matrix->data);
  }
  weights.packed_cache = std::move(mapped->storage);
  return true;
}

}  // namespace

int pack_weights_for_this_cpu(const gguf::GgufFile& file, ModelWeights& weights,
                              const PackingOptions& options) {
  const auto matrices = packable_matrices(weights);
  const auto distinct = distinct_packed(matrices);
  if (distinct.empty()) return 0;
  const auto entries = cache_entries(file, distinct);
  std::optional<PackedWeightCache> cache;
  if (!options.cache_directory.empty() && total_bytes(entries) >= options.cache_min_bytes)
    cache.emplace(options.cache_directory, file);
  const auto& progress = options.progress;
  if (cache) {
    if (progress) progress({"reading packed weights"});
    if (adopt_cached(*cache, entries, distinct, matrices, weights))
      return static_cast<int>(distinct.size());
  }

  Packer packer(file, weights, progress);
  for (const auto* matrix : matrices) packer.count(*matrix);
  // The pool lives for the load only: the engine starts its own threads afterwards.
  tensor::ThreadPool pool(options.threads);
  packer.report(0);
  for (auto* matrix : matrices) packer.pack(*matrix, pool);
  if (cache) {
    if (progress) progress({"writing packed weights"});
    std::vector<const std::byte*> packed;
    for (const auto* matrix : distinct) packed.push_back(matrix->packed);
    std::string why_not;
    if (!cache->write(entries, packed, why_not) && progress)
      progress({"packed weights not cached: " + why_not});
  }
  return packer.packed_count();
}

}  // namespace weft::model
