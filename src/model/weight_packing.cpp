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

bool this_cpu_packs(const tensor::WeightMatrix& matrix) {
  return !matrix.empty() && tensor::packed_products_available(matrix.type);
}

// The matrices this CPU packs, in a fixed order (the cache's entries follow it).
struct MatricesToPack {
  std::vector<tensor::WeightMatrix*> all;
  // Each distinct one once: matrices can share rows (a tied output is the token embedding's
  // view), and shared rows are packed, counted and cached once.
  std::vector<const tensor::WeightMatrix*> distinct;
};

MatricesToPack matrices_to_pack(ModelWeights& weights) {
  MatricesToPack matrices;
  std::set<const std::byte*> seen;
  const auto add = [&](tensor::WeightMatrix& matrix) {
    if (!this_cpu_packs(matrix)) return;
    matrices.all.push_back(&matrix);
    if (seen.insert(matrix.data).second) matrices.distinct.push_back(&matrix);
  };
  for (auto& layer : weights.layers) {
    // Stacked experts pack as one matrix: each expert's block of rows starts on a packed group
    // when its row count is a multiple of kPackedRows, and its view then finds its packed rows.
    for (auto* matrix :
         {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.gate, &layer.up, &layer.down,
          &layer.router, &layer.expert_gate, &layer.expert_up, &layer.expert_down}) {
      add(*matrix);
    }
  }
  add(weights.output);
  return matrices;
}

// Points every matrix at the packed rows of its distinct matrix (packed[i]: distinct[i]'s).
void point_at_packed(const MatricesToPack& matrices, std::span<const std::byte* const> packed) {
  std::map<const std::byte*, const std::byte*> packed_by_data;
  for (size_t i = 0; i < matrices.distinct.size(); ++i)
    packed_by_data[matrices.distinct[i]->data] = packed[i];
  for (auto* matrix : matrices.all) matrix->packed = packed_by_data.at(matrix->data);
}

// Packs each distinct matrix on `threads` threads into `weights.packed`; returns where each
// one's packed rows are. Reports "packing weights" with the rows packed of all to pack.
std::vector<const std::byte*> pack_distinct(const gguf::GgufFile& file,
                                            std::span<const tensor::WeightMatrix* const> distinct,
                                            ModelWeights& weights, unsigned threads,
                                            const LoadProgressCallback& progress) {
  uint64_t rows_to_pack = 0;
  for (const auto* matrix : distinct) rows_to_pack += static_cast<uint64_t>(matrix->rows);
  uint64_t rows_packed = 0;
  const auto report = [&](uint64_t rows_done) {
    if (progress) progress({"packing weights", std::min(rows_done, rows_to_pack), rows_to_pack});
  };
  // The pool lives for the load only: the engine starts its own threads afterwards.
  tensor::ThreadPool pool(threads);
  report(0);
  std::vector<const std::byte*> packed;
  for (const auto* matrix : distinct) {
    // The stored rows leave the resident set as they are packed (whole pages only; the
    // embedding lookup of a tied output reads a few rows as stored, and those come back).
    const std::byte* released_until = matrix->data;
    const auto release_packed_rows = [&](int64_t rows_done) {
      const std::byte* end = matrix->row(rows_done);
      file.release_resident(released_until, static_cast<uint64_t>(end - released_until));
      released_until = page_start(end);
      report(rows_packed + static_cast<uint64_t>(rows_done));
    };
    weights.packed.push_back(tensor::pack_rows(*matrix, release_packed_rows, &pool));
    rows_packed += static_cast<uint64_t>(matrix->rows);
    packed.push_back(weights.packed.back().data());
  }
  return packed;
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

// "packed weights not read from PATH: WHY" (the step a --verbose load shows).
std::string cache_not_read_step(const PackedWeightCache& cache, const std::string& why_not) {
  if (cache.path().empty()) return "packed weights not read from a cache: " + why_not;
  return "packed weights not read from " + cache.path().string() + ": " + why_not;
}

}  // namespace

int pack_weights_for_this_cpu(const gguf::GgufFile& file, ModelWeights& weights,
                              const PackingOptions& options) {
  const auto matrices = matrices_to_pack(weights);
  if (matrices.distinct.empty()) return 0;
  const auto entries = cache_entries(file, matrices.distinct);
  std::optional<PackedWeightCache> cache;
  if (!options.cache_directory.empty() && total_bytes(entries) >= options.cache_min_bytes)
    cache.emplace(options.cache_directory, file);
  const auto& progress = options.progress;
  const int packed_count = static_cast<int>(matrices.distinct.size());
  if (cache) {
    if (progress) progress({"reading packed weights"});
    std::string why_not;
    if (auto mapped = cache->read(entries, why_not)) {
      point_at_packed(matrices, mapped->packed);
      weights.packed_cache = std::move(mapped->storage);
      return packed_count;
    }
    if (progress) progress({cache_not_read_step(*cache, why_not)});
  }

  const auto packed = pack_distinct(file, matrices.distinct, weights, options.threads, progress);
  point_at_packed(matrices, packed);
  if (cache) {
    if (progress) progress({"writing packed weights"});
    std::string why_not;
    if (!cache->write(entries, packed, why_not) && progress)
      progress({"packed weights not cached: " + why_not});
  }
  return packed_count;
}

}  // namespace weft::model
