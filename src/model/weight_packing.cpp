#include "model/weight_packing.hpp"

#include <map>

#include "tensor/packed_weights.hpp"

namespace weft::model {
namespace {

class Packer {
 public:
  Packer(const gguf::GgufFile& file, ModelWeights& weights) : file_(file), weights_(weights) {}

  void pack(tensor::WeightMatrix& matrix) {
    if (matrix.empty() || !tensor::packing_pays_off(matrix.type)) return;
    // Matrices can share rows (a tied output is the token embedding's view): pack once.
    auto [done, inserted] = packed_by_data_.try_emplace(matrix.data, nullptr);
    if (inserted) {
      weights_.packed.push_back(tensor::pack_rows(matrix));
      done->second = weights_.packed.back().data();
      ++count_;
      // The embedding lookup of a tied output reads a few rows as stored; those come back.
      file_.release_resident(matrix.data, matrix.row_bytes * static_cast<uint64_t>(matrix.rows));
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
