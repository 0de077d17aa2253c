#include "model/weight_packing.hpp"

#include <unistd.h>

#include <cstdint>
#include <map>

#include "tensor/packed_weights.hpp"

namespace weft::model {
namespace {

// The start of the memory page holding `at` (release_resident drops whole pages only).
const std::byte* page_start(const std::byte* at) {
  static const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  return reinterpret_cast<const std::byte*>(reinterpret_cast<uintptr_t>(at) / page * page);
}

class Packer {
 public:
  Packer(const gguf::GgufFile& file, ModelWeights& weights) : file_(file), weights_(weights) {}

  void pack(tensor::WeightMatrix& matrix) {
    if (matrix.empty() || !tensor::packing_pays_off(matrix.type)) return;
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
      };
      weights_.packed.push_back(tensor::pack_rows(matrix, release_packed_rows));
      done->second = weights_.packed.back().data();
      ++count_;
    }
    matrix.packed = done->second;
  }

  int count() const { return count_; }

 private:
  const gguf::GgufFile& file_;
  ModelWeights& weights_;
  std::map<const std::byte*, const std::byte*> packed_by_data_;
  int count_ = 0;
};

}  // namespace

int pack_weights_for_this_cpu(const gguf::GgufFile& file, ModelWeights& weights) {
  Packer packer(file, weights);
  for (auto& layer : weights.layers) {
    for (auto* matrix :
         {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.gate, &layer.up, &layer.down}) {
      packer.pack(*matrix);
    }
  }
  packer.pack(weights.output);
  return packer.count();
}

}  // namespace weft::model
